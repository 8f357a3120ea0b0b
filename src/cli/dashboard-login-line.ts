/**
 * The start banner's dashboard line: the one-time login link (it works once and for a day; a later
 * login takes the admin token, or a new link from `POST /api/session/login-code`).
 */
export function dashboardLoginLine(url: string): string {
  return `dashboard: open ${url} (one-time login link)`;
}
