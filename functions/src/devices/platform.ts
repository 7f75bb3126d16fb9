/** The platforms a device registers as (docs/api.md, `registerDevice`): the one list of them. */
export const platforms = ["android", "ios", "web"] as const;
export type Platform = (typeof platforms)[number];
