// Real documents made by the tests themselves (not fixtures from a parser's repository).
import { AlignmentType, Document, Packer, Paragraph } from 'docx';
import JSZip from 'jszip';
import { PDFDocument, StandardFonts } from 'pdf-lib';

export async function makePdf(lines: string[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  let page = pdf.addPage([595, 842]);
  let y = 800;
  for (const line of lines) {
    if (y < 60) {
      page = pdf.addPage([595, 842]);
      y = 800;
    }
    page.drawText(line, { x: 50, y, size: 11, font });
    y -= 16;
  }
  return pdf.save({ useObjectStreams: false });
}

/** A PDF whose trailer declares the standard security handler, as an encrypted PDF's does. */
export async function makeEncryptedPdf(): Promise<Uint8Array> {
  const plain = Buffer.from(await makePdf(['secret'])).toString('latin1');
  const encrypt =
    '/Encrypt << /Filter /Standard /V 2 /R 3 /Length 128 /P -1028 ' +
    '/O <4f776e6572506173737764000000000000000000000000000000000000000000> ' +
    '/U <5573657250617373776f72640000000000000000000000000000000000000000> >>';
  return new Uint8Array(Buffer.from(plain.replace(/trailer\s*<</, `trailer\n<< ${encrypt}`), 'latin1'));
}

export async function makeDocx(paragraphs: string[]): Promise<Uint8Array> {
  const doc = new Document({
    sections: [
      { children: paragraphs.map((text) => new Paragraph({ text, alignment: AlignmentType.LEFT })) },
    ],
  });
  return new Uint8Array(await Packer.toBuffer(doc));
}

/** A DOCX-shaped zip whose document.xml inflates to `megabytes` MB of zeros. */
export async function makeDocxZipBomb(megabytes = 64): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
  );
  zip.file('word/document.xml', new Uint8Array(megabytes * 1024 * 1024));
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

export const PNG_BYTES = new Uint8Array(
  Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
      '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
    'hex',
  ),
);

export const CORRUPT_PDF = new Uint8Array(
  Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ngarbage without xref\n%%EOF'),
);

/**
 * A DOCX whose word/document.xml is well-formed WordprocessingML inflating to `megabytes` MB: one
 * paragraph repeated, which deflate squeezes ~300:1 (a 28 MB part makes a ~100 KB file).
 */
export async function makeDocxInflating(megabytes: number): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="xml" ContentType="application/xml"/></Types>',
  );
  const para = '<w:p><w:r><w:t>Senior engineer with Kafka and PostgreSQL experience.</w:t></w:r></w:p>';
  const head =
    '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>';
  const tail = '</w:body></w:document>';
  const body = para.repeat(Math.ceil((megabytes * 1024 * 1024) / para.length));
  zip.file('word/document.xml', head + body + tail);
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

/**
 * A one-page PDF whose content stream is FlateDecode'd zeros inflating to `megabytes` MB (512 MB makes
 * a ~500 KB file). Built by hand with a correct xref, compressed as a stream so the test never holds
 * the inflated bytes.
 */
export async function makePdfInflating(
  megabytes: number,
  // how the stream names its filter and ends its keyword line (pdf.js takes `stream\r` too), and a
  // sixth object for an indirect filter to point at
  shape: { filter?: string; keyword?: string; object5?: string; encode?: 'flate-twice' | 'run-length' } = {},
): Promise<Uint8Array> {
  const { createDeflate } = await import('node:zlib');
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < megabytes; i++) {
    if (!deflate.write(chunk)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  let data = Buffer.concat(parts);
  if (shape.encode === 'flate-twice') {
    // deflated once more: what a scan of the file inflates is the small inner stream
    const { deflateSync } = await import('node:zlib');
    data = deflateSync(data, { level: 9 });
  } else if (shape.encode === 'run-length') {
    // RunLengthDecode: a length byte of 129 repeats the next byte 128 times (no zlib in sight)
    data = Buffer.concat(
      [
        Buffer.from([129, 0x20])
          .toString('latin1')
          .repeat((megabytes * 1024 * 1024) / 128),
      ]
        .map((s) => Buffer.from(s, 'latin1'))
        .concat([Buffer.from([128])]),
    );
  }
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>',
  ];
  const filter =
    shape.filter ??
    (shape.encode === 'flate-twice'
      ? '[/FlateDecode /FlateDecode]'
      : shape.encode === 'run-length'
        ? '/RunLengthDecode'
        : '/FlateDecode');
  const out: Buffer[] = [Buffer.from('%PDF-1.7\n')];
  let length = out[0]!.length;
  const offsets: number[] = [];
  const push = (b: Buffer) => {
    out.push(b);
    length += b.length;
  };
  objects.forEach((o, i) => {
    offsets.push(length);
    push(Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`));
  });
  offsets.push(length);
  push(
    Buffer.from(`4 0 obj\n<< /Length ${data.length} /Filter ${filter} >>\n${shape.keyword ?? 'stream\n'}`),
  );
  push(data);
  push(Buffer.from('\nendstream\nendobj\n'));
  if (shape.object5) {
    offsets.push(length);
    push(Buffer.from(`5 0 obj\n${shape.object5}\nendobj\n`));
  }
  const xref = length;
  const size = offsets.length + 1;
  push(
    Buffer.from(
      `xref\n0 ${size}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}` +
        `trailer\n<< /Size ${size} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`,
    ),
  );
  return new Uint8Array(Buffer.concat(out));
}
