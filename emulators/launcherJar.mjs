// The launcher jar: a jar holding only a manifest, because firebase-tools starts the Firestore emulator with
// `java -jar <path>` and the Google Cloud CLI's emulator jar names no Main-Class. The manifest names that
// class and puts the gcloud jar on the class path.
//
// Just enough of the zip format is written here to make that jar: stored (uncompressed) entries, so the
// harness needs no `jar` tool (a JRE alone has none).
import path from "node:path";
import { SCRATCH, writeAtomically } from "./harness.mjs";

/** Writes `.emulators/firestore-launcher.jar` for `targetJar` (when it changed) and returns its path. */
export function writeLauncherJar(targetJar) {
  const launcher = path.join(SCRATCH, "firestore-launcher.jar");
  const classPath = new URL(`file://${targetJar}`).pathname;
  const jar = storedZip([
    {
      name: "META-INF/MANIFEST.MF",
      lines: [
        "Manifest-Version: 1.0",
        "Main-Class: com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        `Class-Path: ${classPath}`,
        "Created-By: emulators/launcherJar.mjs",
      ],
    },
  ]);
  writeAtomically(launcher, jar);
  return launcher;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Manifest lines may hold at most 72 bytes; longer ones continue on lines that start with a space. */
function manifestLine(line) {
  const bytes = Buffer.from(line, "utf8");
  const parts = [bytes.subarray(0, 72)];
  for (let at = 72; at < bytes.length; at += 71)
    parts.push(Buffer.concat([Buffer.from(" "), bytes.subarray(at, at + 71)]));
  return parts.map((part) => part.toString("utf8")).join("\r\n");
}

function manifestText(lines) {
  return `${lines.map(manifestLine).join("\r\n")}\r\n\r\n`;
}

/** A zip of `entries` ({ name, lines }: text files written as jar manifests), as bytes. */
function storedZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const data = Buffer.from(manifestText(entry.lines), "utf8");
    const crc = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time and date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
