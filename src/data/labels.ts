// The dataset's folder names and the label schemes built on them ("Brain Tumor MRI Images 44
// Classes": 14 tumour types x T1/T1C+/T2, plus _NORMAL T1 and _NORMAL T2).

export const TUMOUR_TYPES = [
  'Astrocitoma', 'Carcinoma', 'Ependimoma', 'Ganglioglioma', 'Germinoma', 'Glioblastoma', 'Granuloma',
  'Meduloblastoma', 'Meningioma', 'Neurocitoma', 'Oligodendroglioma', 'Papiloma', 'Schwannoma', 'Tuberculoma',
] as const;
export const SEQUENCES = ['T1', 'T1C+', 'T2'] as const;
export const NORMAL_FOLDER_TYPE = '_NORMAL';
export const NORMAL_LABEL = 'Normal';

/** Approximate images per folder in the real dataset (T1, T1C+, T2); Normal has no T1C+. */
export const REAL_COUNTS: Readonly<Record<string, readonly [number, number, number]>> = {
  Astrocitoma: [175, 230, 170], Carcinoma: [65, 110, 70], Ependimoma: [45, 45, 55], Ganglioglioma: [20, 15, 20],
  Germinoma: [25, 35, 25], Glioblastoma: [55, 90, 55], Granuloma: [30, 30, 15], Meduloblastoma: [20, 65, 40],
  Meningioma: [270, 365, 230], Neurocitoma: [130, 220, 100], Oligodendroglioma: [85, 70, 65], Papiloma: [65, 105, 60],
  Schwannoma: [145, 190, 120], Tuberculoma: [25, 80, 30], [NORMAL_FOLDER_TYPE]: [250, 0, 270],
};

/** Plain code-unit order (what Array.prototype.sort and numpy/sklearn use), never locale order. */
export function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The 44 real folder names, in code-unit order. */
export const REAL_FOLDERS: readonly string[] = [
  ...TUMOUR_TYPES.flatMap((t) => SEQUENCES.map((s) => `${t} ${s}`)),
  `${NORMAL_FOLDER_TYPE} T1`,
  `${NORMAL_FOLDER_TYPE} T2`,
].sort(codeUnitCompare);

/** Splits `<Type> <Sequence>` on the last space; null when there is no space. */
export function splitFolderName(folder: string): { type: string; sequence: string } | null {
  const i = folder.lastIndexOf(' ');
  if (i <= 0 || i === folder.length - 1) return null;
  return { type: folder.slice(0, i), sequence: folder.slice(i + 1) };
}

/** Tumour type label of a folder in the 15-label scheme, or null when the folder is not one of the 44. */
export function typeLabelOf(folder: string): string | null {
  const parts = splitFolderName(folder);
  if (!parts || !(SEQUENCES as readonly string[]).includes(parts.sequence)) return null;
  if (parts.type === NORMAL_FOLDER_TYPE) return parts.sequence === 'T1C+' ? null : NORMAL_LABEL;
  return (TUMOUR_TYPES as readonly string[]).includes(parts.type) ? parts.type : null;
}

/** The 15 labels in code-unit order (index = sklearn LabelEncoder's; Normal is 10). */
export const LABELS_15: readonly string[] = [...TUMOUR_TYPES, NORMAL_LABEL].sort(codeUnitCompare);
/** The 44 labels (= folder names) in code-unit order. */
export const LABELS_44: readonly string[] = REAL_FOLDERS;
