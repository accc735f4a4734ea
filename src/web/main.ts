// The page: wires the controls to the shared session library (through ./engine.ts). Every
// number it shows comes from the same code as the CLI: scanner, loader, model, metrics, SVGs.
import { buildDataset, describeScan, type LabelMode } from '../data/scan.js';
import { BrowserImageDecoder } from '../data/image.js';
import { createBrowserGpu } from '../gpu/browser.js';
import type { Gpu } from '../gpu/runtime.js';
import { defaultConfig, DEFAULT_LR, type AutocropName } from '../session/config.js';
import { classificationReport, confusionMatrix, isTumourPredictedNormal, normalSet } from '../report/metrics.js';
import { renderReport } from '../report/html.js';
import { topK } from '../report/predictions.js';
import { escapeXml } from '../report/svg.js';
import { hasDirectoryPicker, pickDirectory, sourceFromDrop, sourceFromFileList, sourceFromMemory, type WebDatasetSource } from './dataset.js';
import { PageEngine } from './engine.js';
import type { PageTrainOptions, ReportData } from './engine-types.js';
import { generateSyntheticInPage } from './synth.js';
import { $, download, drawRgba, formatDuration, overlayHeat, pct, renderCharts, renderConfusion, renderGallery, reportTable, setText, show, thumbnailUrl, type CurvePoints, type GalleryItem } from './view.js';

interface PageState {
  gpu: Gpu | null;
  adapterLabel: string;
  source: WebDatasetSource | null;
  engine: PageEngine | null;
  busy: boolean;
  curves: CurvePoints;
  lastReport: ReportData | null;
  /** The last prediction's labels, probabilities and logits (read by the browser tests). */
  lastPrediction: { name: string; labels: readonly string[]; probabilities: number[]; logits: number[] } | null;
}

const state: PageState = {
  gpu: null,
  adapterLabel: '',
  source: null,
  engine: null,
  busy: false,
  curves: { trainLoss: [], trainAcc: [], valLoss: [], valAcc: [] },
  lastReport: null,
  lastPrediction: null,
};

// Exposed for the browser test and for anyone poking at the page from the console.
(globalThis as { brainmri?: unknown }).brainmri = state;

const log = (line: string) => {
  const el = $('train-log');
  el.textContent += `${new Date().toLocaleTimeString()}  ${line}\n`;
  el.scrollTop = el.scrollHeight;
};

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function refreshButtons(): void {
  const e = state.engine;
  const ready = !!state.gpu && !state.busy;
  ($('train-start') as HTMLButtonElement).disabled = !ready || !state.source;
  ($('train-stop') as HTMLButtonElement).disabled = !(e?.training ?? false);
  ($('train-continue') as HTMLButtonElement).disabled = !ready || !(e?.canContinue ?? false);
  ($('eval-run') as HTMLButtonElement).disabled = !ready || !(e?.hasModel ?? false) || !(e?.hasTestSet ?? false);
  ($('eval-download') as HTMLButtonElement).disabled = !state.lastReport;
  ($('ckpt-download') as HTMLButtonElement).disabled = !ready || !(e?.hasModel ?? false);
}

// ------------------------------------------------------------------ WebGPU

async function initGpu(): Promise<void> {
  const badge = $('adapter');
  try {
    const { gpu, adapter } = await createBrowserGpu();
    state.gpu = gpu;
    state.adapterLabel = adapter.label;
    state.engine = new PageEngine(gpu, adapter, new BrowserImageDecoder());
    // The session's defaults for this adapter (small and narrow on a CPU emulation).
    const d = defaultConfig(adapter);
    ($('opt-size') as HTMLInputElement).value = String(d.res);
    ($('opt-batch') as HTMLInputElement).value = String(d.batch);
    ($('opt-epochs') as HTMLInputElement).value = String(d.epochs);
    ($('opt-width') as HTMLSelectElement).value = String(d.width);
    ($('opt-lr') as HTMLInputElement).value = String(DEFAULT_LR[d.optimizer]);
    badge.textContent = `WebGPU: ${adapter.label}${adapter.isSwiftShader ? ' — CPU emulation, slow' : ''}`;
    badge.dataset.state = 'ok';
  } catch (err) {
    badge.textContent = 'No WebGPU';
    badge.dataset.state = 'error';
    show('gpu-error', `WebGPU is not available, so this page cannot train or predict.\n${errorText(err)}`, true);
  }
  refreshButtons();
}

// ------------------------------------------------------------------ data

function labelMode(): LabelMode {
  return ($('label-mode') as HTMLSelectElement).value as LabelMode;
}

async function useSource(source: WebDatasetSource): Promise<void> {
  state.source = source;
  const { dataset, report } = buildDataset(source.listing, labelMode(), source.rootFiles);
  const summary = `${source.name}: ${describeScan(dataset, report)}`;
  // With a model at hand (trained or loaded), Evaluate now runs on this dataset's test split.
  const engine = state.engine;
  if (engine?.hasModel && !engine.training) {
    try {
      engine.useDataset(source, num('opt-test'), 1);
    } catch (err) {
      log(`this dataset cannot be evaluated with the current model: ${errorText(err)}`);
    }
  }
  show('data-summary', summary, dataset.items.length === 0);
  // A few thumbnails so the user sees what was found.
  const preview = $('data-preview');
  preview.innerHTML = '';
  const step = Math.max(1, Math.floor(dataset.items.length / 12));
  for (let i = 0; i < dataset.items.length && preview.childElementCount < 12; i += step) {
    const item = dataset.items[i]!;
    const bytes = await source.read(item.path).catch(() => null);
    if (!bytes) continue;
    const fig = document.createElement('figure');
    const img = document.createElement('img');
    img.src = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    img.alt = item.path;
    fig.append(img, dataset.labels[item.label]!);
    preview.append(fig);
  }
  refreshButtons();
}

function wireData(): void {
  const pick = $('pick-folder') as HTMLButtonElement;
  pick.addEventListener('click', async () => {
    // The File System Access picker where the browser has it, else the folder upload dialog.
    if (!hasDirectoryPicker()) {
      ($('folder-input') as HTMLInputElement).click();
      return;
    }
    try {
      const source = await pickDirectory();
      if (source) await useSource(source);
    } catch (err) {
      show('data-summary', `Could not read the folder: ${errorText(err)}`, true);
    }
  });
  ($('folder-input') as HTMLInputElement).addEventListener('change', async (ev) => {
    const files = (ev.target as HTMLInputElement).files;
    if (files && files.length) await useSource(sourceFromFileList(Array.from(files)));
  });
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    try {
      const source = ev.dataTransfer ? await sourceFromDrop(ev.dataTransfer.items) : null;
      if (source) await useSource(source);
      else show('data-summary', 'Drop a folder (one sub-folder per class), not single files.', true);
    } catch (err) {
      show('data-summary', `Could not read the dropped folder: ${errorText(err)}`, true);
    }
  });
  $('label-mode').addEventListener('change', () => {
    if (state.source) void useSource(state.source);
  });
  $('synth-generate').addEventListener('click', async () => {
    const button = $('synth-generate') as HTMLButtonElement;
    const progress = $('synth-progress') as HTMLProgressElement;
    button.disabled = true;
    progress.hidden = false;
    try {
      const scale = Number(($('synth-scale') as HTMLInputElement).value);
      const seed = Number(($('synth-seed') as HTMLInputElement).value) >>> 0;
      const t0 = performance.now();
      const files = await generateSyntheticInPage({
        scale,
        seed,
        onProgress: (done, total) => {
          progress.value = done / total;
          setText('data-summary', `Generating synthetic slices: ${done} / ${total}`);
          $('data-summary').hidden = false;
        },
      });
      await useSource(sourceFromMemory(`synthetic (scale ${scale}, seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`, files));
    } catch (err) {
      show('data-summary', `Could not generate the synthetic set: ${errorText(err)}`, true);
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  });
}

// ------------------------------------------------------------------ training

function num(id: string): number {
  return Number(($(id) as HTMLInputElement).value);
}

async function trainOptions(): Promise<PageTrainOptions> {
  const weights = ($('opt-weights') as HTMLInputElement).files?.[0];
  return {
    labelMode: labelMode(),
    test: num('opt-test'),
    size: num('opt-size'),
    batchSize: num('opt-batch'),
    epochs: num('opt-epochs'),
    optimizer: ($('opt-optimizer') as HTMLSelectElement).value as PageTrainOptions['optimizer'],
    lr: num('opt-lr'),
    autocrop: ($('opt-autocrop') as HTMLSelectElement).value as AutocropName,
    width: Number(($('opt-width') as HTMLSelectElement).value),
    head: ($('opt-head') as HTMLSelectElement).value as PageTrainOptions['head'],
    augment: ($('opt-augment') as HTMLInputElement).checked,
    maxSteps: num('opt-max-steps'),
    seed: 1,
    pretrained: weights ? { name: weights.name, bytes: new Uint8Array(await weights.arrayBuffer()) } : null,
  };
}

async function runTraining(resume: boolean): Promise<void> {
  const engine = state.engine;
  if (!engine || !state.source) return;
  state.busy = true;
  refreshButtons();
  ($('train-stop') as HTMLButtonElement).disabled = false;
  if (!resume) {
    state.curves = { trainLoss: [], trainAcc: [], valLoss: [], valAcc: [] };
    renderCharts(state.curves);
  }
  const bar = $('train-progress') as HTMLProgressElement;
  const hooks = {
    log,
    onProgress: (p: import('./engine-types.js').PageProgress) => {
      setText('stat-epoch', `${Math.min(p.epoch + 1, p.epochs)} / ${p.epochs}`);
      setText('stat-step', `${p.step} / ${p.totalSteps}`);
      if (p.loss !== undefined) setText('stat-loss', p.loss.toFixed(4));
      setText('stat-speed', p.imagesPerSecond === undefined ? '–' : p.imagesPerSecond.toFixed(p.imagesPerSecond < 10 ? 2 : 1));
      setText('stat-eta', p.etaSeconds === undefined ? '–' : formatDuration(p.etaSeconds));
      bar.value = p.totalSteps ? p.step / p.totalSteps : 0;
      const x = p.step / Math.max(1, p.stepsPerEpoch);
      if (p.loss !== undefined) state.curves.trainLoss.push([x, p.loss]);
      if (p.trainAccuracy !== undefined) state.curves.trainAcc.push([x, p.trainAccuracy]);
      renderCharts(state.curves);
    },
    onEpoch: (e: import('./engine-types.js').PageEpoch) => {
      if (e.valLoss !== undefined) state.curves.valLoss.push([e.epoch + 1, e.valLoss]);
      if (e.valAccuracy !== undefined) state.curves.valAcc.push([e.epoch + 1, e.valAccuracy]);
      setText('stat-val', pct(e.valAccuracy));
      renderCharts(state.curves);
    },
  };
  try {
    const outcome = resume ? await engine.continueTraining(hooks) : await engine.train(state.source, await trainOptions(), hooks);
    log(outcome === 'stopped' ? 'stopped: press Continue to go on from here' : 'training finished');
    $('train').dataset.state = outcome;
  } catch (err) {
    log(`error: ${errorText(err)}`);
    $('train').dataset.state = 'error';
  } finally {
    state.busy = false;
    refreshButtons();
  }
}

function wireTraining(): void {
  $('train-start').addEventListener('click', () => void runTraining(false));
  $('opt-optimizer').addEventListener('change', () => {
    ($('opt-lr') as HTMLInputElement).value = String(DEFAULT_LR[($('opt-optimizer') as HTMLSelectElement).value as keyof typeof DEFAULT_LR]);
  });
  $('train-continue').addEventListener('click', () => void runTraining(true));
  $('train-stop').addEventListener('click', () => {
    state.engine?.stop();
    log('stopping after the current step…');
  });
}

// ------------------------------------------------------------------ evaluation

async function showEvaluation(data: ReportData): Promise<void> {
  const names = data.labelNames;
  const normal = typeof data.normalLabel === 'number' ? [data.normalLabel] : [...data.normalLabel];
  const normals = normalSet(data.normalLabel);
  const yTrue = data.predictions.map((p) => p.trueLabel);
  const yPred = data.predictions.map((p) => p.predictedLabel);
  const report = classificationReport(yTrue, yPred, names);
  const tn = data.predictions.filter((p) => isTumourPredictedNormal(p.trueLabel, p.predictedLabel, normals)).length;
  show(
    'eval-summary',
    `${data.predictions.length} test images · accuracy ${pct(report.accuracy)} · macro F1 ${report.macro.f1.toFixed(3)} · tumour → Normal errors: ${tn}`,
  );
  $('eval-report').innerHTML = `<h3>Classification report</h3>${reportTable(report, normals)}`;
  // The matrix over every label of the scheme, so its rows line up with the report's names.
  renderConfusion(confusionMatrix(yTrue, yPred, names.length), names, normal);
  // Most confident mistakes first within each group, as report.html orders them.
  const wrong = data.predictions.filter((p) => p.trueLabel !== p.predictedLabel).sort((a, b) => b.probability - a.probability);
  const ordered = [
    ...wrong.filter((p) => isTumourPredictedNormal(p.trueLabel, p.predictedLabel, normals)),
    ...wrong.filter((p) => !isTumourPredictedNormal(p.trueLabel, p.predictedLabel, normals)),
  ];
  const shown = ordered.slice(0, 60);
  const items: GalleryItem[] = [];
  for (const p of shown) {
    items.push({
      file: p.file,
      trueName: names[p.trueLabel]!,
      predictedName: names[p.predictedLabel]!,
      probability: p.probability,
      tumourToNormal: isTumourPredictedNormal(p.trueLabel, p.predictedLabel, normals),
      url: p.thumbnail ? thumbnailUrl(p.thumbnail) : '',
    });
  }
  renderGallery(items, wrong.length);
}

function wireEvaluation(): void {
  $('eval-run').addEventListener('click', async () => {
    const engine = state.engine;
    if (!engine) return;
    state.busy = true;
    refreshButtons();
    show('eval-summary', 'Evaluating…');
    try {
      const data = await engine.evaluate((done, total) => setText('eval-summary', `Evaluating… ${done} / ${total} images`));
      state.lastReport = data;
      await showEvaluation(data);
      $('evaluate').dataset.state = 'done';
    } catch (err) {
      show('eval-summary', `Evaluation failed: ${errorText(err)}`, true);
    } finally {
      state.busy = false;
      refreshButtons();
    }
  });
  $('eval-download').addEventListener('click', () => {
    if (state.lastReport) download(renderReport(state.lastReport), 'report.html', 'text/html');
  });
}

// ------------------------------------------------------------------ prediction

async function predictFile(file: File): Promise<void> {
  const engine = state.engine;
  if (!engine?.hasModel) {
    show('predict-result');
    $('predict-topk').innerHTML = '<li>Train a model or load a checkpoint first.</li>';
    return;
  }
  $('predict').dataset.state = 'busy';
  const bytes = new Uint8Array(await file.arrayBuffer());
  const k = Math.max(1, num('predict-k'));
  const result = await engine.predict(bytes, file.name, k);
  state.lastPrediction = { name: file.name, labels: result.labels, probabilities: Array.from(result.probabilities), logits: Array.from(result.logits) };
  const { image, box } = result;
  drawRgba($('predict-original') as HTMLCanvasElement, image.width, image.height, image.rgba);
  // The crop the model saw, from the decoded pixels and the autocrop box.
  const crop = new Uint8ClampedArray(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * image.width + box.x) * 4;
    crop.set(image.rgba.subarray(from, from + box.width * 4), y * box.width * 4);
  }
  drawRgba($('predict-crop') as HTMLCanvasElement, box.width, box.height, crop);
  const S = engine.meta?.inputSize;
  setText('predict-crop-caption', S ? `Autocropped; the model sees it at ${S}×${S} px` : 'Autocropped');
  const camFigure = $('predict-cam-figure');
  if (result.cam) {
    const over = overlayHeat(crop, box.width, box.height, result.cam.values, result.cam.height, result.cam.width);
    drawRgba($('predict-cam') as HTMLCanvasElement, box.width, box.height, over);
    setText('predict-cam-caption', `Grad-CAM for ${result.labels[topK(result.probabilities, 1)[0]!.label]}`);
    camFigure.hidden = false;
  } else camFigure.hidden = true;
  const top = topK(result.probabilities, Math.min(k, result.labels.length));
  $('predict-topk').innerHTML = top
    .map((r) => `<li><b>${escapeXml(result.labels[r.label]!)}</b> ${(r.probability * 100).toFixed(1)}%<span class="bar" style="width:${Math.max(1, r.probability * 100).toFixed(1)}%"></span></li>`)
    .join('');
  show('predict-result');
  $('predict').dataset.state = 'done';
}

function wirePrediction(): void {
  const run = (file: File | undefined) => {
    if (!file) return;
    predictFile(file).catch((err) => {
      $('predict').dataset.state = 'error';
      show('predict-result');
      $('predict-topk').innerHTML = `<li>Prediction failed: ${escapeXml(errorText(err))}</li>`;
    });
  };
  ($('predict-input') as HTMLInputElement).addEventListener('change', (ev) => run((ev.target as HTMLInputElement).files?.[0]));
  const zone = $('predict-drop');
  zone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    run(ev.dataTransfer?.files[0]);
  });
}

// ------------------------------------------------------------------ checkpoints

function wireCheckpoints(): void {
  $('ckpt-download').addEventListener('click', async () => {
    try {
      const bytes = await state.engine!.checkpoint();
      download(bytes, 'model.safetensors', 'application/octet-stream');
      show('ckpt-status', `Checkpoint saved (${(bytes.byteLength / 1e6).toFixed(1)} MB).`);
    } catch (err) {
      show('ckpt-status', `Could not save the checkpoint: ${errorText(err)}`, true);
    }
  });
  ($('ckpt-load') as HTMLInputElement).addEventListener('change', async (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (!file || !state.engine) return;
    try {
      const dataset = state.source ? { source: state.source, test: num('opt-test'), seed: 1 } : undefined;
      const text = await state.engine.loadCheckpoint(new Uint8Array(await file.arrayBuffer()), file.name, dataset);
      show('ckpt-status', text);
      $('checkpoint').dataset.state = 'loaded';
    } catch (err) {
      show('ckpt-status', `Could not load ${file.name}: ${errorText(err)}`, true);
    }
    refreshButtons();
  });
}

wireData();
wireTraining();
wireEvaluation();
wirePrediction();
wireCheckpoints();
refreshButtons();
void initGpu();
