// Hashtags as a creator types them: "#summer, style #OOTD" → ["summer", "style", "ootd"].

/** parseHashtags splits on spaces, commas and #, drops empties and repeats, keeps the first 30. */
export function parseHashtags(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\s,#]+/)) {
    const t = raw.trim().toLowerCase();
    if (t && !out.includes(t)) out.push(t);
  }
  return out.slice(0, 30);
}

/** captionTags finds the #tags written inside a caption. */
export function captionTags(caption: string): string[] {
  return parseHashtags((caption.match(/#[\p{L}\p{N}_]+/gu) ?? []).join(" "));
}
