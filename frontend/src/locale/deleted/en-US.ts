/** Messages of the deleted records page (merged into `../en-US.ts`). */
export default {} satisfies Record<string, string>;
