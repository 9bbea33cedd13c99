/**
 * OpenID Connect clients added through the admin API or the CLI (service/oidc-client-admin.ts,
 * service/oidc-clients.ts), on SQLite and PostgreSQL: the same rules as the config file's clients;
 * an id a config client or another stored client has is refused; the generated secret is returned
 * once, stored only sealed (bound to the id), never listed nor logged; the registry sees an added,
 * rotated or removed client at once; removing a client ends its grants, codes, tokens and
 * remembered consents, and no other client's.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigInvalid, InvalidRequest, NotFound, OidcClientExists, OidcClientReadOnly, OidcDisabled } from "../../src/errors.js";
import { openText } from "../../src/service/sealed-text.js";
import type { OidcPayloadWrite } from "../../src/storage/store.js";
import { testBackends, type Backend } from "../helpers/backends.js";
import { createTestDeadbolt, TEST_KEYS, type TestDeadbolt } from "../helpers/deadbolt.js";
import { signUp } from "../helpers/flows.js";

const ISSUER = "https://auth.example.com";
const CONFIG_SECRET = "a-config-client-secret-of-32-chars-or-more";
const CONFIG_CLIENT = { id: "wiki", name: "Team wiki", secret: CONFIG_SECRET, redirectUris: ["https://wiki.example.com/cb"] };
const CALLBACK = "https://app.example.com/oauth/callback";

/** What the rules refuse in a redirect URI, each refused by the config loader and the service alike. */
const BAD_URIS: readonly string[] = [
	"not a url",
	"/relative/callback",
	"https://app.example.com/cb#fragment",
	"https://user:pass@app.example.com/cb",
	"http://app.example.com/cb",
	"ftp://app.example.com/cb",
	"javascript:alert(1)",
	`https://app.example.com/${"x".repeat(2_050)}`,
];

let serial = 0;

for (const backend of await testBackends()) {
	describe(`OpenID Connect clients added through the admin API on ${backend.name}`, () => {
		let t: TestDeadbolt;
		/** A prefix of this test's ids: on PostgreSQL every test of the file shares one schema. */
		let p = "";
		afterEach(async () => {
			await t.deadbolt.close();
		});
		const start = async (oidc: Record<string, unknown> = { enabled: true }, extra: Record<string, unknown> = {}) => {
			p = `t${process.pid}-${serial++}-`;
			t = await createTestDeadbolt({ store: await (backend as Backend).open(), overrides: { http: { publicUrl: ISSUER }, oidc, ...extra } });
		};
		/** This test's stored clients. */
		const mine = async () => (await t.store.oidcClients.listOidcClients()).filter((record) => record.id.startsWith(p));
		const violationOf = async (promise: Promise<unknown>) => {
			const error = await promise.then(
				() => null,
				(caught: unknown) => caught,
			);
			expect(error).toBeInstanceOf(InvalidRequest);
			return (error as InvalidRequest).violations[0]!;
		};

		it("a confidential client gets a generated secret (32 random bytes, base64url) returned once; the registry finds it with that secret at once", async () => {
			await start();
			const { client, secret } = await t.deadbolt.oidc.addClient({ id: `${p}grafana`, name: "Grafana", redirectUris: [CALLBACK] });
			expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
			expect(Buffer.from(secret!, "base64url")).toHaveLength(32);
			expect(client).toEqual({
				id: `${p}grafana`,
				name: "Grafana",
				source: "api",
				redirectUris: [CALLBACK],
				postLogoutRedirectUris: [],
				backchannelLogoutUri: null,
				public: false,
				firstParty: false,
				minimumAal: 2,
				groups: null,
				accounts: null,
				createdAt: t.clock.now(),
			});
			const found = await t.deadbolt.oidc.clientById(`${p}grafana`);
			expect(found).toMatchObject({ id: `${p}grafana`, secret, source: "api" });
			const second = await t.deadbolt.oidc.addClient({ id: `${p}gitea`, redirectUris: [CALLBACK] });
			expect(second.secret).not.toBe(secret);
			expect(second.client.name).toBe(`${p}gitea`);
		});

		it("the secret is stored only sealed, bound to the client id: never in clear in the row, never listed, shown or logged", async () => {
			await start();
			const { secret } = await t.deadbolt.oidc.addClient({ id: `${p}sealed-app`, redirectUris: [CALLBACK] });
			const record = await t.store.oidcClients.findOidcClient(`${p}sealed-app`);
			const sealed = record!.sealedSecret!;
			// The row holds neither the secret's text nor its bytes (a store that kept it in clear fails here).
			expect(Buffer.from(sealed).includes(Buffer.from(secret!, "utf8"))).toBe(false);
			expect(Buffer.from(sealed).includes(Buffer.from(secret!, "base64url"))).toBe(false);
			expect(JSON.stringify({ ...record, sealedSecret: Buffer.from(sealed).toString("latin1") })).not.toContain(secret);
			// It opens with the server key for this id only.
			expect(openText({ keys: TEST_KEYS }, "oidc-client-secret", `${p}sealed-app`, sealed)).toBe(secret);
			expect(() => openText({ keys: TEST_KEYS }, "oidc-client-secret", `${p}other-app`, sealed)).toThrow();
			expect(() => openText({ keys: TEST_KEYS }, "webhook-secret", `${p}sealed-app`, sealed)).toThrow();
			// Nothing an operator reads carries it, and no log line does.
			expect(JSON.stringify(await t.deadbolt.oidc.listClients())).not.toContain(secret);
			expect(JSON.stringify(await t.deadbolt.oidc.showClient(`${p}sealed-app`))).not.toContain(secret);
			const rotated = await t.deadbolt.oidc.rotateClientSecret(`${p}sealed-app`);
			expect(JSON.stringify(t.logs)).not.toContain(secret);
			expect(JSON.stringify(t.logs)).not.toContain(rotated.secret);
			expect(t.logs.some((line) => line["event"] === "oidc.client_added" && line["clientId"] === `${p}sealed-app`)).toBe(true);
		});

		it("a public client has no secret and cannot be given one", async () => {
			await start();
			const { client, secret } = await t.deadbolt.oidc.addClient({ id: `${p}spa`, public: true, redirectUris: ["http://localhost:5173/callback"], minimumAal: 1, firstParty: true });
			expect(secret).toBeNull();
			expect(client).toMatchObject({ public: true, firstParty: true, minimumAal: 1 });
			expect((await t.store.oidcClients.findOidcClient(`${p}spa`))!.sealedSecret).toBeNull();
			expect((await t.deadbolt.oidc.clientById(`${p}spa`))!.secret).toBeNull();
			const violation = await violationOf(t.deadbolt.oidc.rotateClientSecret(`${p}spa`));
			expect(violation.rule).toBe("public_client");
		});

		it("redirect URIs follow the config file's rules exactly: each URI the config loader refuses, the service refuses too", async () => {
			await start();
			for (const uri of BAD_URIS) {
				expect(() => loadConfig({ overrides: { http: { publicUrl: ISSUER }, oidc: { clients: [{ ...CONFIG_CLIENT, redirectUris: [uri] }] } } }), uri).toThrow(ConfigInvalid);
				for (const field of ["redirectUris", "postLogoutRedirectUris", "backchannelLogoutUri"] as const) {
					const request = { id: `${p}bad`, redirectUris: [CALLBACK], [field]: field === "backchannelLogoutUri" ? uri : [uri] };
					const violation = await violationOf(t.deadbolt.oidc.addClient(request));
					expect(violation.field, `${field} ${uri}`).toBe(field);
				}
			}
			// What the config accepts, the service accepts: https, and plain http to a loopback host.
			for (const uri of ["https://app.example.com/cb?x=1", "http://localhost:8080/cb", "http://127.0.0.1:9/cb", "http://[::1]/cb"]) {
				expect(() => loadConfig({ overrides: { http: { publicUrl: ISSUER }, oidc: { clients: [{ ...CONFIG_CLIENT, redirectUris: [uri] }] } } })).not.toThrow();
			}
			const { client } = await t.deadbolt.oidc.addClient({ id: `${p}loopback`, redirectUris: ["http://localhost:8080/cb", "http://127.0.0.1:9/cb", "http://[::1]/cb", "http://localhost:8080/cb"] });
			expect(client.redirectUris).toEqual(["http://localhost:8080/cb", "http://127.0.0.1:9/cb", "http://[::1]/cb"]);
			expect(await t.store.oidcClients.findOidcClient(`${p}bad`)).toBeNull();
		});

		it("ids, names, groups, accounts and minimumAal are checked; groups and accounts are stored normalized, and an empty list is no limit", async () => {
			await start();
			for (const id of ["", "has space", "slash/", "é", "x".repeat(65)]) expect((await violationOf(t.deadbolt.oidc.addClient({ id, redirectUris: [CALLBACK] }))).rule, id).toBe("invalid_id");
			expect((await violationOf(t.deadbolt.oidc.addClient({ id: `${p}n`, name: "bad\u0007name", redirectUris: [CALLBACK] }))).rule).toBe("invalid_name");
			expect((await violationOf(t.deadbolt.oidc.addClient({ id: `${p}n`, redirectUris: [] }))).rule).toBe("required");
			expect((await violationOf(t.deadbolt.oidc.addClient({ id: `${p}n`, redirectUris: Array.from({ length: 21 }, (_, i) => `https://app.example.com/cb${i}`) }))).rule).toBe("too_many");
			expect((await violationOf(t.deadbolt.oidc.addClient({ id: `${p}n`, redirectUris: [CALLBACK], groups: ["ops", "has space"] }))).rule).toBe("not_a_group");
			expect((await violationOf(t.deadbolt.oidc.addClient({ id: `${p}n`, redirectUris: [CALLBACK], accounts: ["not-an-email"] }))).rule).toBe("invalid_email");
			expect((await violationOf(t.deadbolt.oidc.addClient({ id: `${p}n`, redirectUris: [CALLBACK], minimumAal: 3 as 2 }))).field).toBe("minimumAal");
			const { client } = await t.deadbolt.oidc.addClient({ id: `${p}limited`, redirectUris: [CALLBACK], groups: [" Ops", "admins", "ops"], accounts: ["Ada@Example.COM", "ada@example.com"] });
			expect(client.groups).toEqual(["admins", "ops"]);
			expect(client.accounts).toEqual(["ada@example.com"]);
			const open = await t.deadbolt.oidc.addClient({ id: `${p}open`, redirectUris: [CALLBACK], groups: [], accounts: [] });
			expect(open.client).toMatchObject({ groups: null, accounts: null });
		});

		it("a back-channel logout URI on a loopback or private address is refused unless webhooks.allowedNetworks lists it (deadbolt POSTs there)", async () => {
			await start();
			for (const uri of ["http://127.0.0.1:9000/logout", "http://localhost/logout", "https://10.0.0.7/logout", "https://[::1]/logout", "https://169.254.169.254/logout"]) {
				const violation = await violationOf(t.deadbolt.oidc.addClient({ id: `${p}bcl`, redirectUris: [CALLBACK], backchannelLogoutUri: uri }));
				expect(violation.rule, uri).toMatch(/private_network|invalid_uri/);
			}
			const { client } = await t.deadbolt.oidc.addClient({ id: `${p}bcl-public`, redirectUris: [CALLBACK], backchannelLogoutUri: "https://app.example.com/backchannel" });
			expect(client.backchannelLogoutUri).toBe("https://app.example.com/backchannel");
			await t.deadbolt.close();
			await start({ enabled: true }, { webhooks: { allowedNetworks: ["127.0.0.0/8"] } });
			const allowed = await t.deadbolt.oidc.addClient({ id: `${p}bcl-local`, redirectUris: [CALLBACK], backchannelLogoutUri: "http://127.0.0.1:9000/logout" });
			expect(allowed.client.backchannelLogoutUri).toBe("http://127.0.0.1:9000/logout");
		});

		it("an id of a config client, or of a stored client, is refused; the registry lists the config file's clients first", async () => {
			await start({ clients: [CONFIG_CLIENT] });
			await expect(t.deadbolt.oidc.addClient({ id: "wiki", redirectUris: [CALLBACK] })).rejects.toBeInstanceOf(OidcClientExists);
			await t.deadbolt.oidc.addClient({ id: `${p}grafana`, redirectUris: [CALLBACK] });
			await expect(t.deadbolt.oidc.addClient({ id: `${p}grafana`, redirectUris: ["https://other.example.com/cb"] })).rejects.toBeInstanceOf(OidcClientExists);
			const listed = (await t.deadbolt.oidc.listClients()).map((client) => [client.id, client.source]);
			expect(listed[0]).toEqual(["wiki", "config"]);
			expect(listed.filter(([id]) => id === "wiki" || id!.startsWith(p))).toEqual([
				["wiki", "config"],
				[`${p}grafana`, "api"],
			]);
			expect(await t.deadbolt.oidc.showClient("wiki")).toMatchObject({ source: "config", name: "Team wiki", createdAt: null });
			expect(JSON.stringify(await t.deadbolt.oidc.listClients())).not.toContain(CONFIG_SECRET);
			await expect(t.deadbolt.oidc.removeClient("wiki")).rejects.toBeInstanceOf(OidcClientReadOnly);
			await expect(t.deadbolt.oidc.rotateClientSecret("wiki")).rejects.toBeInstanceOf(OidcClientReadOnly);
			await expect(t.deadbolt.oidc.showClient("nobody")).rejects.toBeInstanceOf(NotFound);
			await expect(t.deadbolt.oidc.removeClient("nobody")).rejects.toBeInstanceOf(NotFound);
			await expect(t.deadbolt.oidc.rotateClientSecret("nobody")).rejects.toBeInstanceOf(NotFound);
		});

		it("a stored client the config file later took the id of is hidden behind it, and removing it deletes only the stored row", async () => {
			// Two instances on one database: the first added the client, the second's config file has the same id.
			const [first, second] = await (backend as Backend).openInstances(2);
			const id = `h${process.pid}-${serial++}-wiki`;
			const before = await createTestDeadbolt({ store: first!, overrides: { http: { publicUrl: ISSUER }, oidc: { enabled: true } } });
			await before.deadbolt.oidc.addClient({ id, name: "Stored wiki", redirectUris: [CALLBACK] });
			await before.deadbolt.close();
			t = await createTestDeadbolt({ store: second!, overrides: { http: { publicUrl: ISSUER }, oidc: { clients: [{ ...CONFIG_CLIENT, id }] } } });
			expect(await t.deadbolt.oidc.clientById(id)).toMatchObject({ source: "config", name: "Team wiki", secret: CONFIG_SECRET });
			expect(await t.deadbolt.oidc.hiddenClientIds()).toContain(id);
			expect((await t.deadbolt.oidc.listClients()).filter((client) => client.id === id).map((client) => client.source)).toEqual(["config"]);
			expect(await t.deadbolt.oidc.removeClient(id)).toEqual({ grantsEnded: 0 });
			expect(await t.store.oidcClients.findOidcClient(id)).toBeNull();
			await expect(t.deadbolt.oidc.removeClient(id)).rejects.toBeInstanceOf(OidcClientReadOnly);
		});

		it("nothing can be added while the provider is off (no config client, oidc.enabled false)", async () => {
			await start({ enabled: false });
			expect(t.deadbolt.oidc.enabled).toBe(false);
			await expect(t.deadbolt.oidc.addClient({ id: `${p}grafana`, redirectUris: [CALLBACK] })).rejects.toBeInstanceOf(OidcDisabled);
			expect(await mine()).toEqual([]);
			expect(() => loadConfig({ overrides: { oidc: { enabled: true } } })).toThrow(/oidc\.enabled: set http\.publicUrl/);
		});

		it("rotating the secret replaces it at once; the old one is gone from the registry", async () => {
			await start();
			const { secret: first } = await t.deadbolt.oidc.addClient({ id: `${p}rotating`, redirectUris: [CALLBACK] });
			const { secret: second, client } = await t.deadbolt.oidc.rotateClientSecret(`${p}rotating`);
			expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
			expect(second).not.toBe(first);
			expect(client.id).toBe(`${p}rotating`);
			expect((await t.deadbolt.oidc.clientById(`${p}rotating`))!.secret).toBe(second);
		});

		it("removing a client ends every grant of it with its codes and tokens, and its remembered consents; other clients keep theirs", async () => {
			await start();
			const leaving = `${p}leaving`;
			const staying = `${p}staying`;
			await t.deadbolt.oidc.addClient({ id: leaving, redirectUris: [CALLBACK] });
			await t.deadbolt.oidc.addClient({ id: staying, redirectUris: [CALLBACK] });
			const row = (model: string, id: string, clientId: string, grantId: string | null): OidcPayloadWrite => ({
				model,
				id,
				payload: JSON.stringify({ clientId, grantId }),
				grantId,
				uid: null,
				userCode: null,
				accountId: "account-1",
				clientId,
				sid: null,
				createdAt: t.clock.now(),
				expiresAt: null,
			});
			for (const clientId of [leaving, staying]) {
				for (const n of [1, 2]) {
					const grantId = `${clientId}-grant-${n}`;
					await t.store.oidcPayloads.upsertOidcPayload(row("Grant", grantId, clientId, null));
					await t.store.oidcPayloads.upsertOidcPayload(row("RefreshToken", `${grantId}-rt`, clientId, grantId));
					await t.store.oidcPayloads.upsertOidcPayload(row("AccessToken", `${grantId}-at`, clientId, grantId));
					await t.store.oidcPayloads.upsertOidcPayload(row("AuthorizationCode", `${grantId}-code`, clientId, grantId));
				}
			}
			await t.deadbolt.oidc.recordConsent("account-1", leaving, ["openid"]);
			await t.deadbolt.oidc.recordConsent("account-1", staying, ["openid"]);
			expect(await t.deadbolt.oidc.removeClient(leaving)).toEqual({ grantsEnded: 2 });
			for (const n of [1, 2]) {
				for (const [model, suffix] of [["Grant", ""], ["RefreshToken", "-rt"], ["AccessToken", "-at"], ["AuthorizationCode", "-code"]] as const) {
					expect(await t.store.oidcPayloads.findOidcPayload(model, `${leaving}-grant-${n}${suffix}`), `${model} leaving ${n}`).toBeNull();
					expect(await t.store.oidcPayloads.findOidcPayload(model, `${staying}-grant-${n}${suffix}`), `${model} staying ${n}`).not.toBeNull();
				}
			}
			expect(await t.deadbolt.oidc.hasConsent("account-1", leaving, ["openid"])).toBe(false);
			expect(await t.deadbolt.oidc.hasConsent("account-1", staying, ["openid"])).toBe(true);
			expect(await t.deadbolt.oidc.clientById(leaving)).toBeNull();
			expect(await t.deadbolt.oidc.clientById(staying)).not.toBeNull();
			expect(t.logs.some((line) => line["event"] === "oidc.client_removed" && line["clientId"] === leaving && line["grantsEnded"] === 2)).toBe(true);
		});

		it("a session that ends queues the back-channel logout of a stored client inside its transaction (read through it: on SQLite a read beside it would wait forever)", async () => {
			await start();
			const clientId = `${p}bcl-app`;
			await t.deadbolt.oidc.addClient({ id: clientId, redirectUris: [CALLBACK], backchannelLogoutUri: "https://app.example.com/backchannel" });
			const { account, session } = await signUp(t, `${p}bcl@example.com`);
			const grantId = `${p}grant`;
			await t.store.oidcPayloads.upsertOidcPayload({ model: "Grant", id: grantId, payload: JSON.stringify({ clientId, accountId: account.id }), grantId: null, uid: null, userCode: null, accountId: account.id, clientId, sid: "sid-1", createdAt: t.clock.now(), expiresAt: null });
			await t.deadbolt.oidc.bindGrant(grantId, await t.deadbolt.validateSession(session.token));
			const ended = Promise.race([t.deadbolt.logout(session.token).then(() => "ended"), new Promise((done) => setTimeout(() => done("stuck"), 10_000))]);
			expect(await ended).toBe("ended");
			const deliveries = (await t.store.outbox.listDeliveries({ accountId: account.id, limit: 10 })).filter((delivery) => delivery.kind === "oidc.backchannel_logout");
			expect(deliveries.map((delivery) => [delivery.target, JSON.parse(delivery.payload)])).toEqual([[`oidc:${clientId}`, { sub: account.id, sid: "sid-1" }]]);
			expect(await t.store.oidcPayloads.findOidcPayload("Grant", grantId)).toBeNull();
		});

		it("the stored clients' redirect origins are form-action sources at once; the config file's stay in returnTargetSources", async () => {
			await start({ enabled: true, clients: [CONFIG_CLIENT] });
			const here = `https://${p}a.example.net`;
			const out = `https://${p}a-out.example.net`;
			expect(await t.deadbolt.oidc.storedClientOrigins()).not.toContain(here);
			await t.deadbolt.oidc.addClient({ id: `${p}a`, redirectUris: [`${here}/cb`, `${here}/other`], postLogoutRedirectUris: [`${out}/bye`] });
			const origins = await t.deadbolt.oidc.storedClientOrigins();
			expect(origins.filter((origin) => origin.startsWith(`https://${p}`))).toEqual([here, out]);
			expect(origins).not.toContain("https://wiki.example.com");
			expect(t.deadbolt.returnTargetSources()).toContain("https://wiki.example.com");
			await t.deadbolt.oidc.removeClient(`${p}a`);
			expect(await t.deadbolt.oidc.storedClientOrigins()).not.toContain(here);
		});
	});
}
