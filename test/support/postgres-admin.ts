import postgres from 'postgres';

/** A connection to the server's maintenance database, for creating and dropping test databases. */
export function adminSql(url: string) {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return postgres(admin.toString(), { max: 2, onnotice: () => {} });
}

export async function dropDatabase(admin: postgres.Sql, name: string): Promise<void> {
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
}

/** The same server URL, naming another database. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
