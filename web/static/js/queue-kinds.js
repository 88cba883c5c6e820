// What each kind of entry in the phone's queue is sent as. A visit is the default (entries made
// before kinds existed have none); a referral from the service directory goes to its own API
// with only the fields that API takes, the service's name staying on the phone for the list.

const KINDS = {
  visit: { url: "/api/v1/visits", body: (payload) => payload },
  referral: {
    url: "/api/v1/referrals",
    body: ({ id, client_id, service_id, note }) => ({ id, client_id, service_id, ...(note ? { note } : {}) }),
  },
};

export function requestFor(payload) {
  const kind = KINDS[payload.kind] ?? KINDS.visit;
  return { url: kind.url, body: kind.body(payload) };
}

// What the list may show with no session (sealed under the device key): when, whom, what kind.
export function summaryExtras(payload) {
  if (payload.kind !== "referral") return {};
  return { kind: "referral", service_id: payload.service_id ?? null, service_name: payload.service_name ?? "" };
}
