// The avatar's scene: a WebGL renderer (pixel ratio capped), a camera framing the head, soft three-point light, a
// GLB loaded with three's GLTFLoader and checked for the morph targets the avatar drives, idle life, expressions
// blended over time, visemes from a speech timeline, and a render loop that runs only while the page is visible and
// not paused. dispose() frees every geometry, material and texture and the renderer itself.
import {
  ACESFilmicToneMapping,
  Box3,
  Color,
  DirectionalLight,
  HemisphereLight,
  type Material,
  type Mesh,
  type Object3D,
  PerspectiveCamera,
  Scene,
  SRGBColorSpace,
  type Texture,
  Vector3,
  WebGLRenderer,
} from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { blendWeights, type Expression, type ExpressionWeights, expressionWeights, missingMorphTargets } from '@aico/avatar-protocol';
import { textToVisemes, withAmplitude, type VisemeTimeline } from '../speech/viseme-timeline';
import { visemeWeightsAt } from '../speech/viseme-blender';
import { IdleLife } from './idle-life';

export class AvatarError extends Error {
  constructor(
    readonly code: 'MODEL_LOAD_FAILED' | 'MODEL_MISSING_MORPHS',
    message: string,
  ) {
    super(message);
    this.name = 'AvatarError';
  }
}

export interface ModelInfo {
  readonly name: string;
  readonly morphTargets: number;
  readonly bytes?: number;
}

interface LoadedModel {
  readonly root: Object3D;
  readonly morphMeshes: readonly Mesh[];
  readonly eyes: readonly Object3D[];
  readonly info: ModelInfo;
}

interface Speech {
  readonly id: string;
  readonly text: string;
  readonly timeline: VisemeTimeline;
  readonly startedAt: number;
  readonly onEnd: (interrupted: boolean) => void;
}

export interface StageOptions {
  readonly host: HTMLElement;
  readonly maxPixelRatio?: number;
  readonly random?: () => number;
}

const NEUTRAL = expressionWeights('neutral', 1);

export class AvatarStage {
  private readonly renderer: WebGLRenderer;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(28, 1, 0.05, 20);
  private readonly idle: IdleLife;
  private model: LoadedModel | undefined;
  private speech: Speech | undefined;
  /** What it says or said last: a host reads it back even when a short sentence has ended before it asked. */
  private lastSpeechText: string | undefined;
  private expression = { name: 'neutral' as Expression, from: NEUTRAL, to: NEUTRAL, startedAt: 0, durationMs: 0 };
  private frameRequest: number | undefined;
  private paused = false;
  private disposed = false;
  private readonly morphs = new Map<string, number>();
  private readonly onVisibility = () => this.schedule();
  private readonly onResize = () => this.resize();

  constructor(private readonly options: StageOptions) {
    this.renderer = new WebGLRenderer({ antialias: true, alpha: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(globalThis.devicePixelRatio || 1, options.maxPixelRatio ?? 1.5));
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.toneMapping = ACESFilmicToneMapping;
    options.host.append(this.renderer.domElement);
    this.idle = new IdleLife(options.random);
    this.scene.add(new HemisphereLight(new Color('#ffffff'), new Color('#4a4f63'), 1.4));
    const key = new DirectionalLight('#fff4e8', 2.2);
    key.position.set(0.8, 2.4, 2);
    const rim = new DirectionalLight('#cfd8ff', 1.2);
    rim.position.set(-1.5, 2, -1.5);
    this.scene.add(key, rim);
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('resize', this.onResize);
    this.resize();
  }

  /** Loads a GLB (replacing the current model, which is freed) and checks it has every morph target we drive. */
  async load(url: string): Promise<ModelInfo> {
    let gltf;
    try {
      gltf = await new GLTFLoader().loadAsync(url);
    } catch (error) {
      throw new AvatarError('MODEL_LOAD_FAILED', `The avatar model ${url} could not be loaded: ${(error as Error).message}`);
    }
    if (this.disposed) {
      disposeTree(gltf.scene);
      throw new AvatarError('MODEL_LOAD_FAILED', 'The avatar was disposed while its model loaded.');
    }
    const morphMeshes: Mesh[] = [];
    const names = new Set<string>();
    gltf.scene.traverse((object) => {
      const mesh = object as Mesh;
      if (mesh.isMesh && mesh.morphTargetDictionary) {
        morphMeshes.push(mesh);
        for (const name of Object.keys(mesh.morphTargetDictionary)) names.add(name);
      }
    });
    const missing = missingMorphTargets(names);
    if (missing.length > 0) {
      disposeTree(gltf.scene);
      throw new AvatarError('MODEL_MISSING_MORPHS', `The avatar model lacks ${missing.length} morph target(s) it needs: ${missing.join(', ')}.`);
    }
    this.unloadModel();
    const eyes = ['EyeLeft', 'EyeRight'].map((name) => gltf.scene.getObjectByName(name)).filter((eye): eye is Object3D => eye !== undefined);
    this.model = { root: gltf.scene, morphMeshes, eyes, info: { name: url.split('/').pop() ?? url, morphTargets: names.size } };
    this.scene.add(gltf.scene);
    this.frame(gltf.scene);
    this.schedule();
    return this.model.info;
  }

  /** Starts speaking (stopping any speech in progress); returns the duration in milliseconds. */
  speak(id: string, text: string, audio: { sampleRateHz: number; envelope: readonly number[] } | undefined, onEnd: (interrupted: boolean) => void): number {
    this.stop();
    const timeline = audio ? withAmplitude(textToVisemes(text), { sampleRateHz: audio.sampleRateHz, envelope: [...audio.envelope] }) : textToVisemes(text);
    this.speech = { id, text, timeline, startedAt: performance.now(), onEnd };
    this.lastSpeechText = text;
    this.schedule();
    return timeline.durationMs;
  }

  stop(): void {
    const speech = this.speech;
    this.speech = undefined;
    speech?.onEnd(true);
  }

  setExpression(name: Expression, intensity: number, transitionMs: number): void {
    const now = performance.now();
    this.expression = { name, from: this.currentExpression(now), to: expressionWeights(name, intensity), startedAt: now, durationMs: transitionMs };
    this.schedule();
  }

  pause(): void {
    this.paused = true;
    this.cancelFrame();
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  get state() {
    const info = this.renderer.info;
    return {
      paused: this.paused,
      speaking: this.speech !== undefined,
      expression: this.expression.name,
      morphs: Object.fromEntries(this.morphs),
      renderer: { geometries: info.memory.geometries, textures: info.memory.textures, programs: info.programs?.length ?? 0 },
      ...(this.lastSpeechText !== undefined ? { speechText: this.lastSpeechText } : {}),
    };
  }

  /** Frees the model, every GPU resource and the canvas; the stage cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelFrame();
    this.stop();
    this.unloadModel();
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('resize', this.onResize);
    this.renderer.renderLists.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.renderer.domElement.remove();
  }

  private unloadModel(): void {
    if (!this.model) return;
    this.scene.remove(this.model.root);
    disposeTree(this.model.root);
    this.model = undefined;
    this.morphs.clear();
  }

  /** Points the camera at the head (the node named Head, else the top of the model). */
  private frame(root: Object3D): void {
    const head = root.getObjectByName('Head') ?? root.getObjectByName('Wolf3D_Head') ?? root;
    const box = new Box3().setFromObject(head);
    const centre = box.getCenter(new Vector3());
    const size = Math.max(box.getSize(new Vector3()).y, 0.2);
    this.camera.position.set(centre.x, centre.y + size * 0.05, centre.z + size * 3.4);
    this.camera.lookAt(centre.x, centre.y - size * 0.25, centre.z);
  }

  private resize(): void {
    const { clientWidth, clientHeight } = this.options.host;
    const width = Math.max(clientWidth, 1);
    const height = Math.max(clientHeight, 1);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.schedule();
  }

  /** The loop runs only while there is a model, the page is visible and the avatar is not paused. */
  private schedule(): void {
    if (this.disposed || this.paused || !this.model || document.visibilityState === 'hidden') {
      this.cancelFrame();
      return;
    }
    this.frameRequest ??= requestAnimationFrame((now) => {
      this.frameRequest = undefined;
      this.render(now);
      this.schedule();
    });
  }

  private cancelFrame(): void {
    if (this.frameRequest !== undefined) cancelAnimationFrame(this.frameRequest);
    this.frameRequest = undefined;
  }

  private currentExpression(now: number): ExpressionWeights {
    const { from, to, startedAt, durationMs } = this.expression;
    const t = durationMs <= 0 ? 1 : Math.min(1, (now - startedAt) / durationMs);
    return blendWeights(from, to, t * t * (3 - 2 * t));
  }

  private render(now: number): void {
    const model = this.model;
    if (!model) return;
    const idle = this.idle.at(now);
    const weights: Record<string, number> = { ...this.currentExpression(now) };
    if (this.speech) {
      const elapsed = now - this.speech.startedAt;
      if (elapsed >= this.speech.timeline.durationMs) {
        const speech = this.speech;
        this.speech = undefined;
        speech.onEnd(false);
      } else {
        for (const [name, value] of Object.entries(visemeWeightsAt(this.speech.timeline, elapsed))) weights[name] = Math.max(weights[name] ?? 0, value);
      }
    }
    weights['eyeBlinkLeft'] = Math.max(weights['eyeBlinkLeft'] ?? 0, idle.blink);
    weights['eyeBlinkRight'] = Math.max(weights['eyeBlinkRight'] ?? 0, idle.blink);
    this.morphs.clear();
    for (const mesh of model.morphMeshes) {
      const dictionary = mesh.morphTargetDictionary!;
      const influences = mesh.morphTargetInfluences!;
      for (const [name, index] of Object.entries(dictionary)) {
        const value = Math.min(1, Math.max(0, weights[name] ?? 0));
        influences[index] = value;
        if (value > 0) this.morphs.set(name, Math.max(this.morphs.get(name) ?? 0, value));
      }
    }
    for (const eye of model.eyes) eye.rotation.set(-idle.gaze.pitch, idle.gaze.yaw, 0);
    model.root.position.y = idle.breath;
    this.renderer.render(this.scene, this.camera);
  }
}

/** Frees every geometry, material and texture under `root`. */
export function disposeTree(root: Object3D): void {
  root.traverse((object) => {
    const mesh = object as Mesh;
    if (!mesh.isMesh) return;
    mesh.geometry.dispose();
    const materials: Material[] = Array.isArray(mesh.material) ? mesh.material : [mesh.material];
    for (const material of materials) {
      for (const value of Object.values(material)) if ((value as Texture | null)?.isTexture) (value as Texture).dispose();
      material.dispose();
    }
  });
}
