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
    throw apiError("InvalidParameterValue.TagQuotaLimitExceeded", `The parameter \`${parameter}\` has ${tags.length} tags; a resource takes at most ${MAX_TAGS}.`);
  }
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    const where = `${parameter}.${i}`;
    if (tag.Key.length === 0 || tag.Key.length > 127 || !/^[\p{L}\p{N} +\-=._:/@()[\]（）【】]+$/u.test(tag.Key)) {
      throw apiError("FailedOperation.IllegalTagKey", `The tag key \`${tag.Key.slice(0, 64)}\` in \`${where}.Key\` is empty, longer than 127 characters, or has characters that are not allowed.`);
    }
    if (RESERVED_PREFIXES.some((p) => tag.Key.toLowerCase().startsWith(p))) {
      throw apiError("FailedOperation.TagKeyReserved", `The tag key \`${tag.Key.slice(0, 64)}\` in \`${where}.Key\` starts with a reserved prefix (${RESERVED_PREFIXES.join(", ")}).`);
    }
    if (tag.Value.length > 255 || !/^[\p{L}\p{N} +\-=._:/@()[\]（）【】]*$/u.test(tag.Value)) {
      throw apiError("FailedOperation.IllegalTagValue", `The tag value in \`${where}.Value\` is longer than 255 characters or has characters that are not allowed.`);
    }
    if (seen.has(tag.Key)) throw apiError("InvalidParameterValue.DuplicateTags", `The tag key \`${tag.Key.slice(0, 64)}\` appears more than once in \`${parameter}\`.`);
    seen.add(tag.Key);
  });
}
