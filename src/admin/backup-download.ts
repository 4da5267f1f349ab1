import fs from 'node:fs';
import path from 'node:path';
import type { Response } from 'express';
import { HttpError } from '../http/http-error.js';

/**
 * Sends a consistent copy of the database as a download, taken with SQLite's online backup API
 * while snip keeps serving. The copy is also kept in `backups/`, among the newest five downloads
 * (apart from the snapshots taken before migrations, which downloads never push out).
 */
export async function sendBackup(
  writeBackup: () => Promise<string | null>,
  res: Response,
): Promise<void> {
  const file = await writeBackup();
  if (file === null) throw new HttpError(409, 'An in-memory database has no file to download.');
  res.set('Cache-Control', 'no-store');
  res.attachment(
    `snip-${path.basename(file).replace(/^.*?-(\d{8}T\d{6}Z)-download\.sqlite3$/, '$1')}.sqlite3`,
  );
  res.type('application/vnd.sqlite3');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file)
      .on('error', reject)
      .pipe(res)
      .on('finish', resolve)
      .on('error', reject);
  });
}
