/** Messages of the users, roles and my-account pages (merged into `../zh-CN.ts`). */
export default {} satisfies Record<string, string>;
