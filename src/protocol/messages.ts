// Error messages that several call sites share, in English and in Chinese. Each names the parameter and
// the value at fault and says what is expected; values a client chose are cut to a bounded length.
import type { LocalizedText } from "./errors.js";

/** A required parameter (or common parameter, or header) was not sent. */
export function missingParameterText(name: string): LocalizedText {
  return {
    en: `The request is missing a required parameter \`${name}\`.`,
    zh: `缺少必需参数\`${name}\`。`,
  };
}

/** What a list holds, for atMostText: `unit` is the Chinese measure word (个, 项). */
export interface CountedNoun {
  en: string;
  zh: string;
  unit: string;
}

export const ITEMS: CountedNoun = { en: "items", zh: "", unit: "项" };

/** A list parameter carries more entries than it accepts; `given` is left out when it is not known. */
export function atMostText(parameter: string, max: number, given: number | undefined, noun: CountedNoun): LocalizedText {
  return {
    en: `The parameter \`${parameter}\` accepts at most ${max} ${noun.en}${given === undefined ? "" : `, but ${given} were given`}.`,
    zh: `参数\`${parameter}\`最多包含 ${max} ${noun.unit}${noun.zh}${given === undefined ? "" : `，实际传入 ${given} ${noun.unit}`}。`,
  };
}

/** A resource id that is not `<prefix>-` and 8 lowercase letters or digits. */
export function malformedIdText(kind: { en: string; zh: string }, id: string, where: string, prefix: string): LocalizedText {
  const shown = id.slice(0, 64);
  return {
    en: `The ${kind.en} \`${shown}\` in \`${where}\` is malformed: it must be ${prefix}- followed by 8 lowercase letters or digits.`,
    zh: `参数\`${where}\`中的${kind.zh}\`${shown}\`格式错误，应为 ${prefix}- 加 8 位小写字母或数字。`,
  };
}

/** A request body whose Content-Type the request's signature method does not take. */
export function unsupportedContentTypeText(type: string, expected: LocalizedText): LocalizedText {
  const shown = type.slice(0, 64);
  return {
    en: `The Content-Type \`${shown || "(none)"}\` is not supported; ${expected.en}.`,
    zh: `不支持 Content-Type\`${shown || "（空）"}\`，${expected.zh}。`,
  };
}
