/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive); '' for any other header. */
export function bearerToken(authorization: string): string {
  if (authorization.length < 7 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return '';
  return authorization.slice(7).trim();
}
