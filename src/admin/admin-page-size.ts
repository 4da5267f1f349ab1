/**
 * Links on a page of the admin's list, and so the most its bulk form selects at once. Apart from
 * the admin's routes, which load on their first request: the app's form parser needs it at start.
 */
export const ADMIN_LINKS_PER_PAGE = 50;
