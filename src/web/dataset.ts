// Dataset sources in the page: a folder chosen with the directory picker, an
// <input webkitdirectory>, a drag-and-dropped folder, or files held in memory (the synthetic
// set). Each becomes the scanner's listing (src/data/scan.ts) plus a reader by relative path,
// so the page builds its dataset with the same code as the CLI.
import type { FolderListing } from '../data/scan.js';

export interface WebDatasetSource {
  /** What the user chose: the folder's name, or "synthetic". */
  name: string;
  /** One entry per folder directly under the root. */
  listing: FolderListing[];
  /** Plain files at the root. */
  rootFiles: string[];
  /** Bytes of `<folder>/<file>`. */
  read(path: string): Promise<Uint8Array>;
  /** Number of files (all kinds) found. */
  fileCount: number;
}

async function fileBytes(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

/**
 * Groups root-relative paths ("<folder>/<file>", deeper ones flag a nested folder) into the
 * scanner's listing; `open` reads one file.
 */
export function sourceFromPaths(name: string, paths: readonly string[], open: (path: string) => Promise<Uint8Array>): WebDatasetSource {
  const folders = new Map<string, Map<string, boolean>>();
  const rootFiles: string[] = [];
  for (const p of paths) {
    const parts = p.split('/').filter(Boolean);
    if (parts.length === 1) rootFiles.push(parts[0]!);
    else if (parts.length >= 2) {
      const entries = folders.get(parts[0]!) ?? new Map<string, boolean>();
      folders.set(parts[0]!, entries);
      // A deeper file makes its first sub-folder an entry flagged as a folder (not read).
      entries.set(parts[1]!, parts.length > 2 || entries.get(parts[1]!) === true);
    }
  }
  const listing: FolderListing[] = [...folders].map(([folder, entries]) => ({
    folder,
    entries: [...entries].map(([n, isDirectory]) => ({ name: n, isDirectory })),
  }));
  return { name, listing, rootFiles, read: open, fileCount: paths.length };
}

/** Files of an <input webkitdirectory> (or a drop): paths relative to the chosen folder. */
export function sourceFromFileList(files: readonly File[]): WebDatasetSource {
  const byPath = new Map<string, File>();
  let rootName = 'folder';
  for (const f of files) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    // webkitRelativePath starts with the chosen folder's own name.
    if (parts.length > 1) {
      rootName = parts[0]!;
      byPath.set(parts.slice(1).join('/'), f);
    } else byPath.set(rel, f);
  }
  return sourceFromPaths(rootName, [...byPath.keys()], async (path) => {
    const f = byPath.get(path);
    if (!f) throw new Error(`${path}: not in the chosen folder`);
    return fileBytes(f);
  });
}

/** Files kept in memory (the synthetic set, tests). */
export function sourceFromMemory(name: string, files: ReadonlyMap<string, Uint8Array>): WebDatasetSource {
  return sourceFromPaths(name, [...files.keys()], async (path) => {
    const b = files.get(path);
    if (!b) throw new Error(`${path}: no such file`);
    return b;
  });
}

// Minimal typings for the File System Access API (not in lib.dom for every TS version).
interface FsHandle {
  kind: 'file' | 'directory';
  name: string;
}
interface FsFileHandle extends FsHandle {
  kind: 'file';
  getFile(): Promise<File>;
}
interface FsDirHandle extends FsHandle {
  kind: 'directory';
  values(): AsyncIterable<FsFileHandle | FsDirHandle>;
}

export function hasDirectoryPicker(): boolean {
  return typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/** Asks for a folder with showDirectoryPicker; null when the user cancels. */
export async function pickDirectory(): Promise<WebDatasetSource | null> {
  const pick = (globalThis as unknown as { showDirectoryPicker: (o?: object) => Promise<FsDirHandle> }).showDirectoryPicker;
  let root: FsDirHandle;
  try {
    root = await pick({ mode: 'read', id: 'brainmri-dataset' });
  } catch (err) {
    if ((err as DOMException).name === 'AbortError') return null;
    throw err;
  }
  return sourceFromDirectoryHandle(root);
}

/** Lists two levels (class folders and their files); files are opened when read. */
export async function sourceFromDirectoryHandle(root: FsDirHandle): Promise<WebDatasetSource> {
  const handles = new Map<string, FsFileHandle>();
  const paths: string[] = [];
  for await (const entry of root.values()) {
    if (entry.kind === 'file') paths.push(entry.name);
    else {
      for await (const inner of entry.values()) {
        const p = `${entry.name}/${inner.name}`;
        if (inner.kind === 'file') handles.set(p, inner);
        paths.push(inner.kind === 'directory' ? `${p}/.` : p);
      }
    }
  }
  return sourceFromPaths(root.name, paths, async (path) => {
    const h = handles.get(path);
    if (!h) throw new Error(`${path}: not in the chosen folder`);
    return fileBytes(await h.getFile());
  });
}

// Drag and drop: FileSystemEntry API (webkitGetAsEntry), the one every browser has for folders.
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
}
interface FileEntry extends Entry {
  file(ok: (f: File) => void, fail: (e: unknown) => void): void;
}
interface DirEntry extends Entry {
  createReader(): { readEntries(ok: (entries: Entry[]) => void, fail: (e: unknown) => void): void };
}

async function readAllEntries(dir: DirEntry): Promise<Entry[]> {
  const reader = dir.createReader();
  const all: Entry[] = [];
  // readEntries returns batches (100 in Chrome) until an empty one.
  for (;;) {
    const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** A dropped folder (the first directory among the dropped items); null when none was dropped. */
export async function sourceFromDrop(items: DataTransferItemList): Promise<WebDatasetSource | null> {
  let root: DirEntry | null = null;
  for (const item of Array.from(items)) {
    const entry = (item as unknown as { webkitGetAsEntry?: () => Entry | null }).webkitGetAsEntry?.() ?? null;
    if (entry?.isDirectory) {
      root = entry as DirEntry;
      break;
    }
  }
  if (!root) return null;
  const files = new Map<string, FileEntry>();
  const paths: string[] = [];
  for (const entry of await readAllEntries(root)) {
    if (entry.isFile) paths.push(entry.name);
    else if (entry.isDirectory) {
      for (const inner of await readAllEntries(entry as DirEntry)) {
        const p = `${entry.name}/${inner.name}`;
        if (inner.isFile) files.set(p, inner as FileEntry);
        paths.push(inner.isDirectory ? `${p}/.` : p);
      }
    }
  }
  return sourceFromPaths(root.name, paths, async (path) => {
    const e = files.get(path);
    if (!e) throw new Error(`${path}: not in the dropped folder`);
    return fileBytes(await new Promise<File>((ok, fail) => e.file(ok, fail)));
  });
}
