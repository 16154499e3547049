/** Longest visibility MNS accepts (ChangeMessageVisibility, queue VisibilityTimeout), seconds: 12 h. */
export const MAX_VISIBILITY_S = 43_200;

/** Longest send delay MNS accepts (DelaySeconds), seconds: 7 days. */
export const MAX_DELAY_S = 604_800;
