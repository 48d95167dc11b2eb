/** Limits that keep a parser safe on hostile input. All sizes are in bytes. */
export interface ParseLimits {
  /** Start line plus header section, in bytes. Default 65,536. */
  maxHeaderBytes?: number;
  /** Header lines (after unfolding). Default 256. */
  maxHeaderCount?: number;
  /** Body bytes (Content-Length). Default 4 MiB. */
  maxBodyBytes?: number;
}

/** The default limits: generous for real traffic, small enough to bound memory per message. */
export const DEFAULT_LIMITS: Required<ParseLimits> = {
  maxHeaderBytes: 65_536,
  maxHeaderCount: 256,
  maxBodyBytes: 4 * 1024 * 1024,
};
