/** Messages of the audit log page (merged into `../en-US.ts`). */
export default {} satisfies Record<string, string>;
