// Tag rules shared by every taggable CVM resource.
import { apiError } from "../../protocol/errors.js";

export interface TagPair {
  Key: string;
  Value: string;
}

const MAX_TAGS = 50;
const RESERVED_PREFIXES = ["qcloud:", "tencent:", "project"];

export function checkTags(tags: readonly TagPair[], parameter: string): void {
  if (tags.length > MAX_TAGS) {
    throw apiError("InvalidParameterValue.TagQuotaLimitExceeded", {
      en: `The parameter \`${parameter}\` has ${tags.length} tags; a resource takes at most ${MAX_TAGS}.`,
      zh: `参数\`${parameter}\`包含 ${tags.length} 个标签，一个资源最多绑定 ${MAX_TAGS} 个标签。`,
    });
  }
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    const where = `${parameter}.${i}`;
    if (tag.Key.length === 0 || tag.Key.length > 127 || !/^[\p{L}\p{N} +\-=._:/@()[\]（）【】]+$/u.test(tag.Key)) {
      throw apiError("FailedOperation.IllegalTagKey", {
        en: `The tag key \`${tag.Key.slice(0, 64)}\` in \`${where}.Key\` is empty, longer than 127 characters, or has characters that are not allowed: a key is 1 to 127 letters, digits, spaces and + - = . _ : / @ ( ) [ ] （ ） 【 】.`,
        zh: `参数\`${where}.Key\`中的标签键\`${tag.Key.slice(0, 64)}\`不合法：标签键应为 1 到 127 个字母、数字、空格或 + - = . _ : / @ ( ) [ ] （ ） 【 】。`,
      });
    }
    if (RESERVED_PREFIXES.some((p) => tag.Key.toLowerCase().startsWith(p))) {
      throw apiError("FailedOperation.TagKeyReserved", {
        en: `The tag key \`${tag.Key.slice(0, 64)}\` in \`${where}.Key\` starts with a reserved prefix (${RESERVED_PREFIXES.join(", ")}).`,
        zh: `参数\`${where}.Key\`中的标签键\`${tag.Key.slice(0, 64)}\`以系统保留的前缀开头，标签键不能以 ${RESERVED_PREFIXES.join("、")} 开头。`,
      });
    }
    if (tag.Value.length > 255 || !/^[\p{L}\p{N} +\-=._:/@()[\]（）【】]*$/u.test(tag.Value)) {
      throw apiError("FailedOperation.IllegalTagValue", {
        en: `The tag value \`${tag.Value.slice(0, 64)}\` in \`${where}.Value\` is longer than 255 characters or has characters that are not allowed: a value is at most 255 letters, digits, spaces and + - = . _ : / @ ( ) [ ] （ ） 【 】.`,
        zh: `参数\`${where}.Value\`中的标签值\`${tag.Value.slice(0, 64)}\`不合法：标签值最多 255 个字符，只能包含字母、数字、空格或 + - = . _ : / @ ( ) [ ] （ ） 【 】。`,
      });
    }
    if (seen.has(tag.Key)) {
      throw apiError("InvalidParameterValue.DuplicateTags", {
        en: `The tag key \`${tag.Key.slice(0, 64)}\` appears more than once in \`${parameter}\`; each key may be given once.`,
        zh: `参数\`${parameter}\`中的标签键\`${tag.Key.slice(0, 64)}\`重复，每个标签键只能出现一次。`,
      });
    }
    seen.add(tag.Key);
  });
}
