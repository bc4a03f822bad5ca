import { describe, expect, it } from "vitest";
import {
  CONTEXT_LENGTH_MESSAGE,
  failedEvent,
  httpFaultAnswer,
  INSUFFICIENT_QUOTA_BODY,
  incompleteEvent,
  isFault,
} from "./faults.js";

describe("faults", () => {
  it("tells faults from scripted responses", () => {
    expect(isFault({ fault: "eof" })).toBe(true);
    expect(isFault({ items: [] })).toBe(false);
  });

  it("answers http faults completely, with given headers winning", () => {
    expect(
      httpFaultAnswer({ fault: "http", status: 400, body: { a: 1 }, headers: { "content-type": "x/y" } }),
    ).toEqual({ status: 400, headers: { "content-type": "x/y" }, body: '{"a":1}' });
    expect(httpFaultAnswer({ fault: "insufficient_quota" })).toEqual({
      status: 429,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(INSUFFICIENT_QUOTA_BODY),
    });
  });

  it("turns an impossible status into a 500 that says so, and leaves streaming faults alone", () => {
    const answer = httpFaultAnswer({ fault: "http", status: 99 });
    expect(answer?.status).toBe(500);
    expect(answer?.body).toContain("invalid emulated status 99");
    expect(httpFaultAnswer({ fault: "reset" })).toBeUndefined();
  });

  it("renders failure events with their defaults", () => {
    expect(failedEvent("r", "m").data).toMatchObject({
      type: "response.failed",
      response: { id: "r", error: { code: "server_error" } },
    });
    expect(failedEvent("r", "m", "context_length_exceeded").data).toMatchObject({
      response: { error: { message: CONTEXT_LENGTH_MESSAGE } },
    });
    expect(incompleteEvent("r", "m", "content_filter").data).toMatchObject({
      type: "response.incomplete",
      response: { incomplete_details: { reason: "content_filter" } },
    });
  });
});
