// Login password rules. Linux: 8–30 characters of at least two classes; Windows: 12–30 characters of
// at least three. The classes are lower case, upper case, digits and the listed specials.
import { apiError } from "../../../protocol/errors.js";

const SPECIALS = "()`~!@#$%^&*-+=|{}[]:;',.?/_<>";

function classesIn(password: string): number {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(password)).length;
  return classes + ([...password].some((c) => SPECIALS.includes(c)) ? 1 : 0);
}

export function checkPassword(password: string, windows: boolean, parameter: string, minClasses = windows ? 3 : 2, code = "InvalidPassword"): void {
  const min = windows ? 12 : 8;
  const allowed = [...password].every((c) => /[A-Za-z0-9]/.test(c) || SPECIALS.includes(c));
  if (password.length < min || password.length > 30 || !allowed || classesIn(password) < minClasses || password.startsWith("/")) {
    throw apiError(
      code,
      `The parameter \`${parameter}\` does not meet the password rules: ${windows ? "Windows" : "Linux"} passwords have ${min} to 30 characters, ` +
        `do not start with \`/\`, and use at least ${minClasses} of: lower case letters, upper case letters, digits, and the special characters ${SPECIALS}`,
    );
  }
}
