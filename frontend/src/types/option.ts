/** One choice of a select: the value sent to the API and the label people read. */
export interface Option<V extends string | number = string> {
  value: V;
  label: string;
}
