// Tape-based reverse-mode autograd over GPU tensors.
//
// A Var wraps a Tensor. Ops (src/nn/ops.ts) record one Node per call while the tape is in grad
// mode and an input requires a gradient; each node declares the Vars it saves (reference counted)
// and the tensors it owns. Backward walks the nodes in reverse recording order, which is a reverse
// topological order: every node runs once, after all consumers of its output have passed their
// gradients back, and gradients reaching one Var from several consumers (the residual adds) are
// summed with addInto. A node's saved tensors and its output gradient are released as soon as its
// backward has run. Parameters receive their final gradient in the arena's gradient buffer, copied there as soon
// as the last op using the parameter has run its backward.
//
// Lifetimes are explicit: a Var made by an op holds one "forward" reference that the code using it
// drops with free() after its last forward use; saving it for backward adds a reference. Nothing
// here reads back from the GPU or submits.
import type { Gpu } from '../gpu/runtime.js';
import type { Tensor, ZeroPattern } from '../gpu/tensor.js';
import { add, addInto } from '../kernels/elementwise.js';
import { fillTensor } from '../kernels/fill.js';

export class Var {
  /** Set for parameters (see ParamArena): where the gradient of this leaf goes. */
  gradTarget: Tensor | null = null;
  /**
   * For parameters: what is known to be zero in the gradient the last backward wrote to
   * gradTarget (the producing op's Tensor.knownZeros; all of it for a parameter the loss does not
   * reach), null when nothing is. The optimiser reads it at its next step and resets it.
   */
  gradZeros: ZeroPattern | null = null;
  /**
   * Set by the tape only while a node's backward runs, for a parameter whose gradient this node
   * gives in full (its last use, nothing summed yet): gradTarget, which the rule may write
   * into and return, sparing the copy. null otherwise.
   */
  gradOut: Tensor | null = null;
  node: Node | null = null;
  private refs = 1;

  constructor(
    readonly data: Tensor,
    public requiresGrad: boolean,
    /** Owned data is released when the last reference goes; inputs and parameters are not owned. */
    private readonly owned: boolean,
    readonly name = '',
  ) {}

  /** A tensor the caller keeps owning (images, a parameter view). */
  static leaf(data: Tensor, requiresGrad = false, name = ''): Var {
    return new Var(data, requiresGrad, false, name);
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }

  get isLive(): boolean {
    return this.refs > 0;
  }

  /** Drops the forward reference: the data goes once backward no longer needs it either. */
  free(): void {
    this.unref();
  }

  /** Called by the tape when a node saves this Var for backward. */
  retain(): void {
    if (this.refs <= 0) throw new Error(`autograd: ${this.name || 'a tensor'} ${this.data.shape.join('x')} saved after it was freed`);
    this.refs++;
  }

  unref(): void {
    if (this.refs <= 0) throw new Error(`autograd: ${this.name || 'a tensor'} ${this.data.shape.join('x')} freed twice`);
    this.refs--;
    if (this.refs === 0 && this.owned) this.data.release();
  }
}

/**
 * One recorded op. `backward` gets the gradient of the output and, per input, whether that input
 * needs a gradient; it returns one tensor (or null) per input. It may return `dy` itself (an add
 * passes it through): the tape tracks such sharing. Saved Vars and owned tensors are released by
 * the tape right after backward, so a rule must not keep them.
 */
export interface Node {
  readonly op: string;
  readonly inputs: readonly (Var | null)[];
  readonly output: Var;
  readonly saved: readonly Var[];
  readonly owned: readonly Tensor[];
  /**
   * dy is null only for a root that seeds its own gradient (the fused cross-entropy). `node` gives
   * the rule its output (ReLU's backward reads y). An owned tensor may be returned as a gradient
   * (the cross-entropy's dlogits): ownership then passes to the tape.
   */
  backward(dy: Tensor | null, needs: readonly boolean[], node: Node): (Tensor | null)[];
}

/** A gradient tensor and how many Vars currently hold it (add hands one dy to two inputs). */
class GradSlot {
  constructor(
    readonly tensor: Tensor,
    public holders: number,
  ) {}
  drop(): void {
    if (--this.holders === 0) this.tensor.release();
  }
}

export interface NodeSpec {
  op: string;
  inputs: readonly (Var | null)[];
  saved?: readonly Var[];
  owned?: readonly Tensor[];
  backward: Node['backward'];
}

export class Tape {
  private nodes: Node[] = [];
  /** Recorded uses of each parameter: its gradient is final (and copied out) after the last. */
  private readonly paramUses = new Map<Var, number>();

  /**
   * `grad` false is the no-grad mode for evaluation: ops record nothing and save nothing, so
   * intermediates are released as soon as the forward code frees them.
   */
  constructor(
    readonly gpu: Gpu,
    readonly grad: boolean,
  ) {}

  get recorded(): number {
    return this.nodes.length;
  }

  /** Whether an op with these inputs must be recorded. */
  needsGrad(inputs: readonly (Var | null)[]): boolean {
    return this.grad && inputs.some((v) => v?.requiresGrad);
  }

  /**
   * Makes the op's output Var and, when a gradient is needed, records its node (retaining the
   * saved Vars). Owned tensors of an unrecorded op are released at once.
   */
  record(output: Tensor, spec: NodeSpec | null): Var {
    const recordIt = spec !== null && this.needsGrad(spec.inputs);
    const out = new Var(output, recordIt, true, spec?.op ?? '');
    if (!spec) return out;
    if (!recordIt) {
      for (const t of spec.owned ?? []) t.release();
      return out;
    }
    const saved = (spec.saved ?? []).map((v) => (v === SELF ? out : v));
    for (const v of saved) v.retain();
    for (const v of spec.inputs) if (v?.gradTarget && v.requiresGrad) this.paramUses.set(v, (this.paramUses.get(v) ?? 0) + 1);
    const node: Node = { op: spec.op, inputs: spec.inputs, output: out, saved, owned: spec.owned ?? [], backward: spec.backward };
    out.node = node;
    this.nodes.push(node);
    return out;
  }

  /**
   * Reverse-mode pass from `root`, whose node seeds its own gradient (the fused softmax
   * cross-entropy: d loss / d loss = 1). Every parameter that requires a gradient gets one in its
   * gradTarget (zeros when the loss does not depend on it). The tape is empty afterwards.
   */
  backward(root: Var, params: Iterable<Var> = []): void {
    if (!root.node) throw new Error('autograd: backward from a tensor that has no recorded op (was the tape in no-grad mode?)');
    const gpu = this.gpu;
    const grads = new Map<Var, GradSlot>();
    const accumulate = (v: Var, slot: GradSlot): void => {
      const have = grads.get(v);
      if (!have) {
        grads.set(v, slot);
      } else if (have.holders === 1) {
        addInto(gpu, have.tensor, slot.tensor);
        have.tensor.knownZeros = null; // the sum may be nonzero anywhere
        slot.drop();
      } else {
        // The accumulator is shared with another Var: sum into a fresh tensor instead.
        grads.set(v, new GradSlot(add(gpu, have.tensor, slot.tensor), 1));
        have.drop();
        slot.drop();
      }
    };
    const nodes = this.nodes;
    this.nodes = [];
    const pendingUses = new Map(this.paramUses);
    this.paramUses.clear();
    const done = new Set<Var>();
    // A parameter's gradient goes to the arena as soon as its last consumer has run, so the
    // temporary is back in the pool for the rest of the backward pass.
    const flush = (p: Var, slot: GradSlot): void => {
      const target = p.gradTarget!;
      if (slot.tensor !== target) gpu.copy(slot.tensor.buffer, slot.tensor.offset, target.buffer, target.offset, target.byteLength);
      p.gradZeros = slot.tensor.knownZeros;
      slot.drop();
      grads.delete(p);
      done.add(p);
    };
    for (let k = nodes.length - 1; k >= 0; k--) {
      const node = nodes[k]!;
      const dySlot = node === root.node ? null : grads.get(node.output);
      grads.delete(node.output);
      if (node === root.node || dySlot) {
        const needs = node.inputs.map((v) => !!v?.requiresGrad);
        // A parameter this node gives its whole gradient may get it written in place.
        const direct = node.inputs.filter((v, i): v is Var => !!v?.gradTarget && needs[i]! && (pendingUses.get(v) ?? 1) === 1 && !grads.has(v));
        for (const v of direct) v.gradOut = v.gradTarget;
        let results: (Tensor | null)[];
        try {
          results = node.backward(dySlot ? dySlot.tensor : null, needs, node);
        } finally {
          for (const v of direct) v.gradOut = null;
        }
        // Group identical tensors (dy passed through, or one result for two inputs) into one slot.
        const slots = new Map<Tensor, GradSlot>();
        node.inputs.forEach((v, i) => {
          const g = results[i] ?? null;
          if (!g) return;
          if (!v || !needs[i]) throw new Error(`autograd: ${node.op} returned a gradient nobody asked for`);
          let slot = slots.get(g);
          if (slot) slot.holders++;
          else if (dySlot && g === dySlot.tensor) (slot = dySlot).holders++;
          else slot = new GradSlot(g, 1);
          slots.set(g, slot);
          accumulate(v, slot);
          if (v.gradTarget) {
            const left = (pendingUses.get(v) ?? 1) - 1;
            pendingUses.set(v, left);
            if (left === 0) flush(v, grads.get(v)!);
          }
        });
        // A result for an input that needs none would leak; rules return null there.
        results.forEach((g, i) => {
          if (g && !slots.has(g)) throw new Error(`autograd: ${node.op} result ${i} unused`);
        });
        dySlot?.drop();
        for (const t of node.owned) if (!slots.has(t)) t.release();
      } else {
        for (const t of node.owned) t.release();
      }
      for (const v of node.saved) v.unref();
      node.output.node = null;
    }
    // A parameter some of whose consumers got no gradient takes what arrived; one the loss does not
    // reach at all gets zeros. Other leaves' gradients are dropped.
    for (const p of params) {
      if (!p.requiresGrad || !p.gradTarget || done.has(p)) continue;
      const slot = grads.get(p);
      if (slot) flush(p, slot);
      else {
        fillTensor(p.gradTarget, 0);
        p.gradZeros = { period: 1, live: [] };
      }
    }
    for (const slot of grads.values()) slot.drop();
  }

  /** Drops a recorded graph without running backward (e.g. a step abandoned on error). */
  discard(): void {
    this.paramUses.clear();
    for (const node of this.nodes) {
      for (const v of node.saved) v.unref();
      for (const t of node.owned) t.release();
      node.output.node = null;
    }
    this.nodes = [];
  }
}

/** Placeholder in NodeSpec.saved for the op's own output (ReLU saves y). */
export const SELF = Var.leaf(null as unknown as Tensor, false, 'self');
