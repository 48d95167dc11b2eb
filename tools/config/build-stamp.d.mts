/** The stamp's file name inside dist/. */
export declare const STAMP_FILE: string;
/** The digest of a package's build inputs (sha256 over each file's path and bytes). */
export declare function sourceDigest(packageDir: string): string;
/** Writes `dist/build-source.json` for the package in `packageDir` (tsup's `onSuccess`). */
export declare function writeBuildStamp(packageDir: string): void;
/** Whether the package's dist was built from its sources as they are now. */
export declare function buildStampState(packageDir: string): { current: boolean; reason: string; commit?: string; builtAt?: string };
