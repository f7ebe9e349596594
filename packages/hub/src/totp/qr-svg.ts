import qrcode from 'qrcode-generator';

/** Modules of light border around the code (the QR specification's quiet zone). */
const QUIET_ZONE = 4;

/**
 * An SVG QR code of `text` (error correction M), encoded by qrcode-generator and drawn here as one
 * path with presentation attributes only: no script, no style attribute, so it renders inline under
 * the hub's strict Content-Security-Policy. The output contains no user-controlled markup.
 */
export function qrCodeSvg(text: string, label: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const count = qr.getModuleCount();
  const size = count + QUIET_ZONE * 2;
  let path = '';
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) if (qr.isDark(row, col)) path += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
  }
  const escapedLabel = label.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" viewBox="0 0 ${size} ${size}" width="${size * 5}" height="${size * 5}" ` +
    `role="img" aria-label="${escapedLabel}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/>` +
    `<path fill="#000" d="${path}"/></svg>`
  );
}
