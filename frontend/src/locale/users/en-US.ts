/** Messages of the users, roles and my-account pages (merged into `../en-US.ts`). */
export default {} satisfies Record<string, string>;
