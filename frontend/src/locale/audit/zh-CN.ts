/** Messages of the audit log page (merged into `../zh-CN.ts`). */
export default {} satisfies Record<string, string>;
