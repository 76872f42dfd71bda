/** The time now; tests pass one that moves only when told. */
export type Clock = () => Date;
