// node-saml/xml-crypto (6.x) verifying the same responses in-process: parse the message, then for
// every ds:Signature a SignedXml pinned to the IdP certificate (publicCert; KeyInfo ignored)
// checks it. One JSON line per input on stdout (microseconds).
//
//   node bench/js/xmlcrypto_bench.js [--inputs DIR] [--n N] [--warmup N] [--max-seconds S] [--only NAME]
"use strict";
const { SignedXml } = require("xml-crypto");
const { DOMParser } = require("@xmldom/xmldom");
const { parseArgs, loadManifest, timeCalls } = require("./common");

const DSIG = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";

// What an SP built on xml-crypto does per response (signature checks only; no SAML conditions).
// Returns the number of signatures that verified; throws on any failure.
function verifyResponse(xml, certPem) {
  const doc = new DOMParser().parseFromString(xml, "text/xml");
  const sigs = doc.getElementsByTagNameNS(DSIG, "Signature");
  if (sigs.length === 0) throw new Error("no signature");
  for (let i = 0; i < sigs.length; i++) {
    const sx = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
    sx.loadSignature(sigs[i]);
    if (sx.canonicalizationAlgorithm !== EXC_C14N) throw new Error(`unexpected c14n ${sx.canonicalizationAlgorithm}`);
    if (!sx.checkSignature(xml)) throw new Error(`signature ${i + 1} did not verify`);
  }
  return sigs.length;
}

const o = parseArgs(process.argv.slice(2));
const m = loadManifest(o.inputs);
for (const input of m.inputs) {
  if (o.only && o.only !== input.name) continue;
  const xml = input.bytes.toString("utf8");
  const sigs = verifyResponse(xml, m.certPem);
  if (sigs !== input.signatures) throw new Error(`${input.name}: ${sigs} signatures, inputs.json says ${input.signatures}`);
  const r = timeCalls(() => verifyResponse(xml, m.certPem), o);
  console.log(JSON.stringify({ impl: "xml-crypto", input: input.name, ...r }));
}
