// The item screen's entry (a lazily loaded chunk of the shell and the online item page): the
// recorder, the item's history and the offline item view live in screens/item/record.js.
export * from "./screens/item/record.js";
