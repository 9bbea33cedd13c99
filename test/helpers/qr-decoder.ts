/**
 * Reads QR codes from images with ZXing (ZXing-C++, the decoder behind many phone scanners),
 * compiled to WebAssembly by the npm package `zxing-wasm`: an independent decoder that needs no
 * system program. Its WebAssembly is read from `node_modules` (the package would otherwise fetch
 * it from a CDN, and the test machines have no network).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";

let prepared = false;

/**
 * The text of every QR code ZXing finds in `image` (PNG, JPEG, ... file bytes).
 * @returns an empty list when it finds none
 */
export async function decodeQRCodes(image: Uint8Array): Promise<string[]> {
	if (!prepared) {
		const wasm = readFileSync(createRequire(import.meta.url).resolve("zxing-wasm/reader/zxing_reader.wasm"));
		prepareZXingModule({ overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }, fireImmediately: true });
		prepared = true;
	}
	const results = await readBarcodes(image, { formats: ["QRCode"], tryHarder: true });
	return results.filter((result) => result.isValid).map((result) => result.text);
}
