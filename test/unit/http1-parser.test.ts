// HTTP/1.x request framing: what the Bun edge accepts, refuses, and how it reads bodies.
import { describe, expect, test } from "bun:test";
import {
  canStartRequest,
  ChunkedBodyDecoder,
  HttpFramingError,
  findHeadEnd,
  parseRequestHead,
  skipEmptyLines,
} from "../../src/server/http1-parser.ts";

const bytes = (text: string) => Buffer.from(text, "latin1");

function refusal(head: string): { status: number; message: string } {
  try {
    parseRequestHead(head);
  } catch (error) {
    if (error instanceof HttpFramingError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(head)}`);
}

describe("findHeadEnd", () => {
  test("finds the empty line ending a head, with CRLF or bare LF", () => {
    const crlf = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    expect(findHeadEnd(bytes(`${crlf}rest`), 0)).toBe(crlf.length);
    const lf = "GET / HTTP/1.0\n\n";
    expect(findHeadEnd(bytes(`${lf}rest`), 0)).toBe(lf.length);
  });

  test("is -1 while the head is incomplete, however it is cut", () => {
    const head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    for (let cut = 0; cut < head.length; cut++) expect(findHeadEnd(bytes(head.slice(0, cut)), 0)).toBe(-1);
  });

  test("empty lines before a request line are skipped", () => {
    expect(skipEmptyLines(bytes("\r\n\nGET"), 0)).toBe(3);
    expect(skipEmptyLines(bytes("GET"), 0)).toBe(0);
  });

  test("what cannot start a request is told from its first byte; a CR may still become an empty line", () => {
    expect(["G", "M-SEARCH", "\r"].map((text) => canStartRequest(bytes(text)))).toEqual([true, true, true]);
    expect(["\x16\x03\x01", "\rX", " GET", "\x00", "\xff"].map((text) => canStartRequest(bytes(text)))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("parseRequestHead", () => {
  test("reads the request line, fields (names lower-cased, values trimmed) and framing", () => {
    const head = parseRequestHead(
      "POST /api/v1/x?y=1 HTTP/1.1\r\nHost: cp:8080\r\nContent-Length: 12\r\nX-Thing: \t a b \r\nExpect: 100-continue\r\n\r\n",
    );
    expect(head).toEqual({
      method: "POST",
      target: "/api/v1/x?y=1",
      version: "HTTP/1.1",
      headers: [
        ["host", "cp:8080"],
        ["content-length", "12"],
        ["x-thing", "a b"],
        ["expect", "100-continue"],
      ],
      host: "cp:8080",
      contentLength: 12,
      chunked: false,
      close: false,
      expectContinue: true,
    });
  });

  test("HTTP/1.0 needs no Host and closes unless it asks for keep-alive", () => {
    expect(parseRequestHead("GET /health HTTP/1.0\r\n\r\n")).toMatchObject({ host: null, close: true });
    expect(parseRequestHead("GET /health HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).toMatchObject({ close: false });
    expect(parseRequestHead("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).toMatchObject({ close: true });
  });

  test("chunked is the only transfer coding, and never beside Content-Length or in HTTP/1.0", () => {
    expect(parseRequestHead("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n").chunked).toBe(true);
    expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").status).toBe(501);
    expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")).toEqual({
      status: 400,
      message: "both transfer-encoding and content-length",
    });
    expect(refusal("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").status).toBe(400);
  });

  test("a body whose length cannot be known (chunked not last, or twice) is 400, not 501 (RFC 9112 §6.3)", () => {
    const te = (value: string) => refusal(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${value}\r\n\r\n`);
    for (const value of ["chunked, gzip", "gzip", "chunked, chunked", ""]) {
      expect(te(value)).toEqual({ status: 400, message: "chunked must be the last transfer coding, applied once" });
    }
    expect(
      refusal("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n").status,
    ).toBe(400);
    expect(te("gzip, chunked")).toEqual({
      status: 501,
      message: "transfer codings other than chunked are not supported",
    });
  });

  test("Content-Length must be digits, and repeated only with the same value", () => {
    expect(parseRequestHead("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n").contentLength).toBe(5);
    expect(refusal("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").message).toBe(
      "conflicting content-length values",
    );
    for (const value of ["-1", "0x10", "1e3", "", "12345678901234567"]) {
      expect(refusal(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${value}\r\n\r\n`).message).toBe(
        "malformed content-length",
      );
    }
  });

  test("malformed heads are refused with the status RFC 9112 gives them", () => {
    const cases: [string, number, string][] = [
      ["GET /\r\n\r\n", 400, "malformed request line"],
      ["GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request line"],
      ["G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request method"],
      ["GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2.0 is not supported"],
      ["GET / HTTPS/1.1\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"],
      ["GET nope HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request target"],
      ["GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request target"],
      ["GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed request target"],
      ["GET / HTTP/1.1\r\n\r\n", 400, "missing host header"],
      ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one host header"],
      ["GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "malformed host header"],
      ["GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "obsolete line folding"],
      ["GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400, "malformed header field"],
      ["GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, "control character in header x"],
      ["GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, "control character in header x"],
    ];
    for (const [head, status, message] of cases) expect(refusal(head)).toEqual({ status, message });
  });

  test("more than 100 header fields is 431", () => {
    const fields = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join("");
    expect(refusal(`GET / HTTP/1.1\r\nHost: a\r\n${fields}\r\n`).status).toBe(431);
  });

  test("absolute-form targets, the asterisk-form of OPTIONS and IPv6 hosts are taken", () => {
    expect(parseRequestHead("GET http://cp/x HTTP/1.1\r\nHost: cp\r\n\r\n").target).toBe("http://cp/x");
    expect(parseRequestHead("OPTIONS * HTTP/1.1\r\nHost: cp\r\n\r\n").target).toBe("*");
    expect(parseRequestHead("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").host).toBe("[::1]:8080");
  });
});

describe("ChunkedBodyDecoder", () => {
  const encoded = "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\nNEXT";

  test("decodes a body fed in one piece and leaves the next request's bytes", () => {
    const decoder = new ChunkedBodyDecoder(1024);
    const consumed = decoder.feed(bytes(encoded));
    expect(decoder.done).toBe(true);
    expect(Buffer.from(decoder.body()).toString()).toBe("hello, world");
    expect(encoded.slice(consumed)).toBe("NEXT");
  });

  test("decodes the same body fed a byte at a time", () => {
    const decoder = new ChunkedBodyDecoder(1024);
    let pending = "";
    for (const char of encoded.slice(0, -4)) {
      pending += char;
      pending = pending.slice(decoder.feed(bytes(pending)));
    }
    expect(decoder.done).toBe(true);
    expect(pending).toBe("");
    expect(Buffer.from(decoder.body()).toString()).toBe("hello, world");
  });

  test("a body of many tiny chunks costs its bytes, not an object per chunk", () => {
    const chunks = 200_000;
    const decoder = new ChunkedBodyDecoder(1024 * 1024);
    const encoded = bytes(`${"1\r\na\r\n".repeat(chunks)}0\r\n\r\n`);
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    decoder.feed(encoded);
    Bun.gc(true);
    const grown = process.memoryUsage().heapUsed - before;
    expect(decoder.body().length).toBe(chunks);
    // One view per chunk took ~100 bytes each (20 MB here, 200 MB for 1 MiB of such chunks).
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });

  test("stops past its limit, keeping limit + 1 bytes", () => {
    const decoder = new ChunkedBodyDecoder(4);
    decoder.feed(bytes("a\r\n0123456789\r\n"));
    expect(decoder.overLimit).toBe(true);
    expect(decoder.body().length).toBe(5);
  });

  test("its framing lines end with CRLF, not a bare LF (a proxy reading them otherwise would see another body)", () => {
    // A proxy that ends the size line at CRLF reads "3;a\nxx" as one line and a 3-byte chunk "abc";
    // ending it at the bare LF instead reads the chunk "xx\r" and a next size of 0xabc.
    const cases = [
      ["3;a\nxx\r\nabc\r\n0\r\n\r\n", "malformed chunk size"],
      ["3\nabc\r\n0\r\n\r\n", "malformed chunk size"],
      ["3\r\nabc\n0\r\n\r\n", "chunk data not followed by CRLF"],
      ["3\r\nabc\r\n0\r\n\n", "malformed trailer section"],
      ["3\r\nabc\r\n0\r\nX-T: 1\n\r\n", "malformed trailer section"],
    ];
    for (const [body, message] of cases) {
      expect(() => new ChunkedBodyDecoder(1024).feed(bytes(body!))).toThrow(message!);
    }
  });

  test("chunk extensions are name[=value] pairs, leading zeros are taken, sizes past 2^48 are refused", () => {
    const decode = (body: string) => {
      const decoder = new ChunkedBodyDecoder(1024);
      decoder.feed(bytes(body));
      expect(decoder.done).toBe(true);
      return Buffer.from(decoder.body()).toString();
    };
    expect(decode('3 ; a=1;b ;c="x;\\"y"\r\nabc\r\n0;last\r\n\r\n')).toBe("abc");
    expect(decode("0000000000000000003\r\nabc\r\n0\r\n\r\n")).toBe("abc");
    for (const line of ["3;", "3;a=", "3 4", '3;a="x', "3;a b", "3;a=\x01", "3 ", "1000000000000"]) {
      expect(() => new ChunkedBodyDecoder(1024).feed(bytes(`${line}\r\nabc\r\n0\r\n\r\n`))).toThrow(
        "malformed chunk size",
      );
    }
  });

  test("malformed chunk framing is refused", () => {
    expect(() => new ChunkedBodyDecoder(1024).feed(bytes("zz\r\n"))).toThrow("malformed chunk size");
    expect(() => new ChunkedBodyDecoder(1024).feed(bytes("2\r\nabc\r\n"))).toThrow("chunk data longer than its size");
    expect(() => new ChunkedBodyDecoder(1024).feed(bytes("1".repeat(5000)))).toThrow("malformed chunked body");
  });
});
