/**
 * ISO 4217 active currency codes (the list's table A.1 as of 2025): the one list the sandbox
 * checks `currency` against and the batch runner checks its rows with. Dollr documents
 * "Three-letter ISO-4217 currency code", so a code that merely looks like one (`XYZ`, `usd`)
 * is refused: no guessing with money. Fund and precious-metal codes are left out.
 * Not imported by the main entry (it does not check currencies; Dollr does).
 */
const CODES =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD ' +
  'CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF ' +
  'GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP ' +
  'LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB ' +
  'PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL ' +
  'THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ' +
  'ZMW ZWG';

export const ISO_4217: ReadonlySet<string> = new Set(CODES.split(' '));

export const isCurrency = (value: unknown): value is string => typeof value === 'string' && ISO_4217.has(value);
