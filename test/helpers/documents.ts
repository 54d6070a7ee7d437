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
