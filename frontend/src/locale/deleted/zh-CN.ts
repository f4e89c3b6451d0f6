/** Messages of the deleted records page (merged into `../zh-CN.ts`). */
export default {} satisfies Record<string, string>;
