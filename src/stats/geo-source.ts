/**
 * The country database visitors' addresses are looked up in, as its licence asks it be named:
 * the privacy page shows it (src/privacy/), and so do the statistics pages. The server hands it
 * to the services (`geoSource` in src/services.ts); none: no country lookup is configured.
 */
export type GeoSource = Readonly<{
  /** e.g. "geo-whois-asn-country" */
  name: string;
  /** e.g. "CC BY 4.0" */
  licence: string;
  /** The attribution the licence asks for, as a sentence or a name. */
  attribution: string;
  /** Where the database and its licence are described. */
  url: string;
}>;
