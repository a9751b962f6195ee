/** PackedStrings against a plain array under seeded random operations. */
import { describe, expect, test } from "bun:test";
import { PACKED_MAX_ELEMENT, PackedStrings } from "../../../src/store/packed.ts";
import { seededRandom } from "../../helpers/random.ts";
import { serverTestTimeout } from "../../helpers/servers.ts";

serverTestTimeout();

describe("PackedStrings", () => {
  test("insert, push, remove, get and indexOf agree with an array, for every byte and length", () => {
    const rand = seededRandom(11);
    const packed = new PackedStrings();
    const model: string[] = [];
    const make = () => String.fromCharCode(...Array.from({ length: Math.floor(rand() * (PACKED_MAX_ELEMENT + 1)) }, () => Math.floor(rand() * 256)));
    for (let step = 0; step < 3000; step++) {
      const op = rand();
      if (op < 0.3) {
        const x = make();
        packed.push(x);
        model.push(x);
      } else if (op < 0.6) {
        const at = Math.floor(rand() * (model.length + 1));
        const x = rand() < 0.2 ? "" : make();
        packed.insert(at, x);
        model.splice(at, 0, x);
      } else if (model.length > 0) {
        const at = Math.floor(rand() * model.length);
        expect(packed.get(at)).toBe(model[at]!);
        expect(packed.indexOf(model[at]!)).toBe(model.indexOf(model[at]!));
        if (op < 0.85) {
          packed.removeAt(at);
          model.splice(at, 1);
        }
      }
      expect(packed.length).toBe(model.length);
    }
    expect(packed.toArray()).toEqual(model);
    expect(packed.indexOf("not there at all")).toBe(-1);
  });
});
