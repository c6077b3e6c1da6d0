// The upload being prepared, kept on this device so a reload loses neither
// the bytes already sent (tus resumes them) nor the caption and pins typed.
export interface PinDraft {
  product_id: string;
  title: string;
  start_ms: number | null;
  end_ms: number | null;
}

export interface Draft {
  fileName: string;
  fileSize: number;
  caption: string;
  hashtags: string;
  pins: PinDraft[];
}

const KEY = "reelmart.upload-draft";

export function loadDraft(): Draft | null {
  try {
    const d = JSON.parse(localStorage.getItem(KEY) ?? "null") as Draft | null;
    return d && typeof d.fileName === "string" ? d : null;
  } catch {
    return null;
  }
}

export function saveDraft(d: Draft) {
  localStorage.setItem(KEY, JSON.stringify(d));
}

export function clearDraft() {
  localStorage.removeItem(KEY);
}
