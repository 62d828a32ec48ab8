/** Cumulocity's largest MQTT packet, fixed header included (docs: "16184 B"). */
export const MAX_PACKET_BYTES = 16_184;

/**
 * Follows the MQTT frames of a byte stream and tells, from a packet's fixed
 * header alone, when it is larger than the limit: the connection can then be
 * closed before the packet is read, so a client cannot make the broker buffer
 * the 256 MB a remaining length allows. mqtt-packet's parser has no size
 * limit, and MQTT 3.1.1 no way to announce one.
 */
export class PacketSizeGuard {
  readonly #limit: number;
  /** Bytes of the current packet's body still to pass. */
  #skip = 0;
  /** Inside a fixed header: 0 before its first byte, then 1 + length bytes read so far. */
  #headerBytes = 0;
  #length = 0;
  #multiplier = 1;

  constructor(limit = MAX_PACKET_BYTES) {
    this.#limit = limit;
  }

  /**
   * Takes the next bytes of the stream; returns why the stream must end (a
   * packet over the limit, a malformed length), or undefined.
   */
  feed(chunk: Uint8Array): string | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, chunk.length - i);
        this.#skip -= step;
        i += step;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.#headerBytes === 0) {
        this.#headerBytes = 1;
        this.#length = 0;
        this.#multiplier = 1;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#headerBytes++;
      if (byte & 0x80) {
        // The remaining length has at most four bytes.
        if (this.#headerBytes > 4) return 'malformed remaining length (more than four bytes)';
        continue;
      }
      const total = this.#headerBytes + this.#length;
      if (total > this.#limit) {
        return `a packet of ${total} bytes; at most ${this.#limit} are accepted`;
      }
      this.#headerBytes = 0;
      this.#skip = this.#length;
    }
    return undefined;
  }
}
