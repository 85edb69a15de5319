/**
 * The admin API: pools, seats, credentials, admin keys, the audit log and usage. Takes
 * the vendor token (every pool) or a pool's admin key (that pool alone).
 */
import type { z } from "zod";
import {
  AdminKeyResponse, CreatePoolRequest, DeletePoolResponse, ErasureResponse, ExportRecord, type ErasureRequest, CreatePoolResponse, EventsResponse, FreeSeatResponse, PoolDetails, PoolListResponse,
  RotateCredentialsResponse, SeatsResponse, UsageResponse, AdviceResponse, CreateWebhookResponse, WebhookListResponse,
  RemoveWebhookResponse, DeliveriesResponse, QueueResponse, RemoveFromQueueResponse, type WebhookEventType, type Seat, type SeatsResponse as SeatsPage, type UpdatePoolRequest,
} from "../contract/index.js";
import {
  AdminListResponse, CreateAdminResponse, CreateStaffResponse, RemovedResponse, StaffListResponse, StaffMember, StaffTokenResponse,
  type CreateStaffRequest, type UpdateStaffRequest,
} from "../contract/schemas.js";
import { Transport, type TransportOptions } from "./transport.js";

export interface AdminOptions extends TransportOptions {
  /** The vendor token or a pool admin key. */
  token: string;
}

const pool = (poolId: string) => `/v1/pools/${encodeURIComponent(poolId)}`;

export class SeatkeeperAdmin {
  private readonly transport: Transport;
  private readonly token: string;

  constructor(options: AdminOptions) {
    this.transport = new Transport(options);
    this.token = options.token;
  }

  get url(): string {
    return this.transport.url;
  }

  /** Creates a pool (vendor token). The product key and admin key are shown only here. */
  createPool(input: z.input<typeof CreatePoolRequest>) {
    return this.transport.request("POST", "/v1/pools", CreatePoolResponse, { bearer: this.token, body: input });
  }

  /** Pools in id order, a page at a time (vendor token); pass `next` as `after`. */
  listPools(query: { limit?: number; after?: string } = {}) {
    return this.transport.request("GET", "/v1/pools", PoolListResponse, { bearer: this.token, query });
  }

  getPool(poolId: string) {
    return this.transport.request("GET", pool(poolId), PoolDetails, { bearer: this.token });
  }

  /** Changes seats (vendor only), customer, minClientVersion or staleAfterHours. */
  updatePool(poolId: string, patch: UpdatePoolRequest) {
    return this.transport.request("PATCH", pool(poolId), PoolDetails, { bearer: this.token, body: patch });
  }

  /**
   * One page of who is using the pool: seats in use with their sessions, `total` (those
   * matching `q`), and `next`, the cursor of the following page or null. `limit` 1–500,
   * default 100; `q` matches part of a user or machine name.
   */
  listSeats(poolId: string, query: { limit?: number; cursor?: string; q?: string } = {}) {
    return this.transport.request("GET", `${pool(poolId)}/seats`, SeatsResponse, { bearer: this.token, query });
  }

  /** Every page of the seat list (matching `q`), following `next`; `limit` is the page size. */
  async *seatPages(poolId: string, query: { limit?: number; q?: string } = {}): AsyncGenerator<SeatsPage, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listSeats(poolId, { ...query, ...(cursor === undefined ? {} : { cursor }) });
      yield page;
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }

  /** Every seat in use (matching `q`), page by page: `for await (const seat of admin.seats(id))`. */
  async *seats(poolId: string, query: { limit?: number; q?: string } = {}): AsyncGenerator<Seat, void, undefined> {
    for await (const page of this.seatPages(poolId, query)) yield* page.seats;
  }

  /** Frees a seat: all its sessions end with reason `freed`. */
  freeSeat(poolId: string, seatId: string) {
    return this.transport.request("DELETE", `${pool(poolId)}/seats/${encodeURIComponent(seatId)}`, FreeSeatResponse, { bearer: this.token });
  }

  /** Revokes the serial and product key and issues a new pair; `endSessions` also ends every running session. */
  rotateCredentials(poolId: string, options: { endSessions?: boolean } = {}) {
    return this.transport.request("POST", `${pool(poolId)}/credentials`, RotateCredentialsResponse, {
      bearer: this.token,
      body: { endSessions: options.endSessions ?? false },
    });
  }

  /** Issues a new admin key for the pool and revokes the previous one. */
  rotateAdminKey(poolId: string) {
    return this.transport.request("POST", `${pool(poolId)}/admin-keys`, AdminKeyResponse, { bearer: this.token });
  }

  /** The audit log, newest first; pass `next` as `before` for the next page. */
  events(poolId: string, query: { limit?: number; before?: string } = {}) {
    return this.transport.request("GET", `${pool(poolId)}/events`, EventsResponse, { bearer: this.token, query });
  }

  /** Peak seats in use, checkouts and denials per hour or day. */
  usage(poolId: string, query: { from?: string; to?: string; bucket?: "hour" | "day" } = {}) {
    return this.transport.request("GET", `${pool(poolId)}/usage`, UsageResponse, { bearer: this.token, query });
  }

  // ---- people ------------------------------------------------------------------

  /** Adds a staff member (owner); their token (`ST-…`) is shown only here. */
  createStaff(input: CreateStaffRequest) {
    return this.transport.request("POST", "/v1/staff", CreateStaffResponse, { bearer: this.token, body: input });
  }

  listStaff() {
    return this.transport.request("GET", "/v1/staff", StaffListResponse, { bearer: this.token });
  }

  /** Changes a staff member's role, name or state; disabling ends their token and dashboard sessions. */
  updateStaff(staffId: string, patch: UpdateStaffRequest) {
    return this.transport.request("PATCH", `/v1/staff/${encodeURIComponent(staffId)}`, StaffMember, { bearer: this.token, body: patch });
  }

  removeStaff(staffId: string) {
    return this.transport.request("DELETE", `/v1/staff/${encodeURIComponent(staffId)}`, RemovedResponse, { bearer: this.token });
  }

  /** A new token for a staff member (owner, or the person); the old one stops working. */
  replaceStaffToken(staffId: string) {
    return this.transport.request("POST", `/v1/staff/${encodeURIComponent(staffId)}/tokens`, StaffTokenResponse, { bearer: this.token });
  }

  /** Adds an admin to a pool; their key is shown only here. */
  addAdmin(poolId: string, input: { name: string; email?: string }) {
    return this.transport.request("POST", `${pool(poolId)}/admins`, CreateAdminResponse, { bearer: this.token, body: input });
  }

  listAdmins(poolId: string) {
    return this.transport.request("GET", `${pool(poolId)}/admins`, AdminListResponse, { bearer: this.token });
  }

  /** Removes one admin (never the last): their key and dashboard sessions end. */
  removeAdmin(poolId: string, adminId: string) {
    return this.transport.request("DELETE", `${pool(poolId)}/admins/${encodeURIComponent(adminId)}`, RemovedResponse, { bearer: this.token });
  }

  /** Everything the pool holds, as the NDJSON bytes arrive (vendor token or the pool's admin key). */
  exportPool(poolId: string): Promise<ReadableStream<Uint8Array>> {
    return this.transport.stream(`${pool(poolId)}/export`, this.token);
  }

  /** The export one record at a time, each checked against the contract. */
  async *exportRecords(poolId: string): AsyncGenerator<ExportRecord, void, undefined> {
    const decoder = new TextDecoder();
    let pending = "";
    const parse = (line: string) => ExportRecord.parse(JSON.parse(line));
    for await (const chunk of await this.exportPool(poolId)) {
      const lines = (pending + decoder.decode(chunk, { stream: true })).split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line !== "") yield parse(line);
    }
    if (pending.trim() !== "") yield parse(pending);
  }

  /** Replaces a person's names with `erased` in what the pool holds of the past; answers how many records changed. */
  erasePerson(poolId: string, who: ErasureRequest) {
    return this.transport.request("POST", `${pool(poolId)}/erasure`, ErasureResponse, { bearer: this.token, body: who });
  }

  /** Deletes the pool and all it holds (vendor token); its serial is unknown from then on. */
  deletePool(poolId: string) {
    return this.transport.request("DELETE", pool(poolId), DeletePoolResponse, { bearer: this.token });
  }

  /** How many seats the pool should have, judged on the last `days` days. */
  advice(poolId: string, query: { days?: number } = {}) {
    return this.transport.request("GET", `${pool(poolId)}/advice`, AdviceResponse, { bearer: this.token, query });
  }

  /** Subscribes a URL to some of the pool's events; the answer carries the secret, this once. */
  addWebhook(poolId: string, url: string, events: WebhookEventType[]) {
    return this.transport.request("POST", `${pool(poolId)}/webhooks`, CreateWebhookResponse, { bearer: this.token, body: { url, events } });
  }

  webhooks(poolId: string) {
    return this.transport.request("GET", `${pool(poolId)}/webhooks`, WebhookListResponse, { bearer: this.token });
  }

  removeWebhook(poolId: string, webhookId: string) {
    return this.transport.request("DELETE", `${pool(poolId)}/webhooks/${encodeURIComponent(webhookId)}`, RemoveWebhookResponse, { bearer: this.token });
  }

  webhookDeliveries(poolId: string, webhookId: string) {
    return this.transport.request("GET", `${pool(poolId)}/webhooks/${encodeURIComponent(webhookId)}/deliveries`, DeliveriesResponse, { bearer: this.token });
  }

  /** Who waits for a seat, first in line first, with since when. */
  queue(poolId: string) {
    return this.transport.request("GET", `${pool(poolId)}/queue`, QueueResponse, { bearer: this.token });
  }

  /** Takes a waiter out of the queue (logged `left_queue` with the admin as actor); a seat granted to it and not yet picked up passes on. */
  removeFromQueue(poolId: string, ticketId: string) {
    return this.transport.request("DELETE", `${pool(poolId)}/queue/${encodeURIComponent(ticketId)}`, RemoveFromQueueResponse, { bearer: this.token });
  }

  /** Subscribes a URL to the events of every pool (the vendor token or an owner); the answer carries the secret, this once. */
  addVendorWebhook(url: string, events: WebhookEventType[]) {
    return this.transport.request("POST", "/v1/webhooks", CreateWebhookResponse, { bearer: this.token, body: { url, events } });
  }

  vendorWebhooks() {
    return this.transport.request("GET", "/v1/webhooks", WebhookListResponse, { bearer: this.token });
  }

  removeVendorWebhook(webhookId: string) {
    return this.transport.request("DELETE", `/v1/webhooks/${encodeURIComponent(webhookId)}`, RemoveWebhookResponse, { bearer: this.token });
  }
}
