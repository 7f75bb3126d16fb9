import { createHash } from "node:crypto";
import { deviceIdOf, tokenTail } from "../../functions/src/devices/deviceId";

describe("deviceIdOf", () => {
  it("is the lowercase hex SHA-256 of the token", () => {
    // sha256("abc"), the FIPS 180-2 test vector.
    expect(deviceIdOf("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("hashes the token's UTF-8 bytes and differs per token", () => {
    const token = "토큰-é-🚀";
    expect(deviceIdOf(token)).toBe(createHash("sha256").update(Buffer.from(token, "utf8")).digest("hex"));
    expect(deviceIdOf("a")).not.toBe(deviceIdOf("b"));
    expect(deviceIdOf("a".repeat(4096))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("tokenTail", () => {
  it("shows only the last 6 characters", () => {
    expect(tokenTail("fJ3k9:APA91bH-very-long-secret-XYZ123")).toBe("…XYZ123");
    expect(tokenTail("abc")).toBe("…abc");
  });
});
