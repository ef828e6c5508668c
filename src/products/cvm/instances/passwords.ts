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
    // The password itself is never echoed: only its length and how many classes it uses.
    const os = windows ? "Windows" : "Linux";
    const classes = classesIn(password);
    const given =
      `the value given has ${password.length} characters and uses ${classes} of the 4 character classes` +
      `${allowed ? "" : ", with characters outside them"}${password.startsWith("/") ? ", and starts with `/`" : ""}`;
    const givenZh =
      `所给值长度为 ${password.length} 个字符，使用了 4 类字符中的 ${classes} 类` +
      `${allowed ? "" : "，且含有不允许的字符"}${password.startsWith("/") ? "，且以`/`开头" : ""}`;
    throw apiError(code, {
      en:
        `The parameter \`${parameter}\` does not meet the password rules (${given}): ${os} passwords have ${min} to 30 characters, ` +
        `do not start with \`/\`, and use at least ${minClasses} of: lower case letters, upper case letters, digits, and the special characters ${SPECIALS}.`,
      zh:
        `参数\`${parameter}\`不符合密码规则（${givenZh}）：${os} 密码长度为 ${min} 到 30 个字符，不能以\`/\`开头，` +
        `且至少包含以下 ${minClasses} 类字符：小写字母、大写字母、数字、特殊字符 ${SPECIALS}。`,
    });
  }
}
