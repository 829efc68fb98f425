// The subset of gstreamer-superficial 1.7.4 that vigil uses (the package ships no types).
// Facts behind these shapes are in ../shared/SPIKE.md: uint64 properties read back as decimal
// strings, appsink.pull delivers one sample per call and (null, {}) at EOS.
declare module 'gstreamer-superficial' {
  export interface BusMessage {
    type: string;
    name?: string;
    message?: string;
    debug?: string;
    _src_element_name?: string;
    [field: string]: unknown;
  }
  export interface GstElement {
    [property: string]: unknown;
  }
  export interface AppSink extends GstElement {
    pull(cb: (buf: Buffer | null, caps: Record<string, unknown>) => void): void;
  }
  export class Pipeline {
    constructor(launch: string);
    play(): void;
    pause(): void;
    stop(): void;
    sendEOS(): void;
    findChild(name: string): GstElement | AppSink | null;
    pollBus(cb: (msg: BusMessage) => void): void;
    queryPosition(): number;
    queryDuration(): number;
    forceKeyUnit(elementName: string, count: number): boolean;
  }
}
