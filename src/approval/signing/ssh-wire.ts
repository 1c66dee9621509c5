/**
 * The SSH wire encoding (RFC 4251 §5): uint32 lengths in front of strings. Shared by the
 * OpenSSH key formats (ssh-key.ts) and the SSHSIG signature format (sshsig.ts).
 */

export class SshReader {
  private offset = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  u8(): number {
    this.need(1);
    const v = this.buf.readUInt8(this.offset);
    this.offset += 1;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  string(): Buffer {
    return this.bytes(this.u32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  get done(): boolean {
    return this.offset === this.buf.length;
  }

  rest(): Buffer {
    return this.buf.subarray(this.offset);
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new Error(`${this.what} is truncated`);
  }
}

export function sshString(value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
