/**
 * Self-test of the OpenAPI-driven mock upstreams (test/tutorial/upstreams.ts): every route is hit
 * directly with fetch, and a few answers are checked against the example payloads of
 * tutorial/upstreams/*.yaml (values written out here, read from the files by hand).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startShipyardUpstreams, type ShipyardUpstreams } from './upstreams.js';

const BEARER = { authorization: 'Bearer dummy-token' };
const DOCK = { 'x-dock-key': 'dummy-dockyard-key' };

let up: ShipyardUpstreams;
beforeAll(async () => {
  up = await startShipyardUpstreams();
});
afterAll(async () => {
  await up?.close();
});
beforeEach(() => up.reset());

async function get(url: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  const res = await fetch(url, { headers, ...init });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

describe('mock upstreams are built from the OpenAPI files', () => {
  it('has one route per documented operation', () => {
    expect(up.registry.api.routes.map((r) => `${r.method} ${r.template} ${r.operationId}`)).toEqual([
      'GET /ships list-ships',
      'GET /ships/{imo_number} get-ship',
      'POST /voyages create-voyage',
      'GET /voyages/{voyageId} get-voyage',
      'GET /crew list-crew',
      'GET /cargo list-cargo',
    ]);
    expect(up.legacy.api.routes.map((r) => `${r.method} ${r.template} ${r.operationId}`)).toEqual([
      'GET /vessels list-vessels',
      'GET /vessels/{vesselCode} get-vessel',
      'GET /personnel list-personnel',
    ]);
    expect(up.registry.api.security).toEqual([{ type: 'bearer' }]);
    expect(up.legacy.api.security).toEqual([{ type: 'apiKey', header: 'X-Dock-Key' }]);
  });
});

describe('registry mock (JSON, bearer)', () => {
  it('GET /ships without a filter answers the allShips fallback (2 ships)', async () => {
    const r = await get(`${up.registry.url}/ships`, BEARER);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    // paths./ships.get.responses.200 examples.allShips
    expect(JSON.parse(r.text)).toEqual([
      { imo_number: 'IMO-9321483', vessel_name: 'Northern Star', vessel_type: 'cargo', flag_code: 'NO', operational_status: 'active' },
      { imo_number: 'IMO-9456781', vessel_name: 'Pacific Dawn', vessel_type: 'tanker', flag_code: 'SG', operational_status: 'maintenance' },
    ]);
    expect(up.registry.requests[0]).toMatchObject({ operationId: 'list-ships', example: 'allShips', status: 200 });
  });

  it('GET /ships?status=active / maintenance dispatch by URI_PARAMS; an unknown value falls back', async () => {
    // examples "?status=active" and "?status=maintenance"
    expect(JSON.parse((await get(`${up.registry.url}/ships?status=active`, BEARER)).text).map((s: any) => s.vessel_name)).toEqual(['Northern Star']);
    expect(JSON.parse((await get(`${up.registry.url}/ships?status=maintenance`, BEARER)).text).map((s: any) => s.vessel_name)).toEqual(['Pacific Dawn']);
    expect(JSON.parse((await get(`${up.registry.url}/ships?status=decommissioned`, BEARER)).text)).toHaveLength(2);
    expect(up.registry.requests.map((r) => r.example)).toEqual(['?status=active', '?status=maintenance', 'allShips']);
  });

  it('GET /ships/{imo} dispatches by URI_PARTS; an unknown IMO gets the documented 404', async () => {
    const r = await get(`${up.registry.url}/ships/IMO-9321483`, BEARER);
    expect(r.status).toBe(200);
    // example "/imo_number=IMO-9321483"
    expect(JSON.parse(r.text)).toMatchObject({
      vessel_name: 'Northern Star', year_built: 2015, gross_tonnage: 42000,
      dimensions: { length_overall: 229, beam: 32, draft: 12.5 }, assignedCrew: ['CREW-001', 'CREW-003'],
    });
    expect(JSON.parse((await get(`${up.registry.url}/ships/IMO-9456781`, BEARER)).text)).toMatchObject({ vessel_name: 'Pacific Dawn', assignedCrew: ['CREW-002', 'CREW-004'] });

    const missing = await get(`${up.registry.url}/ships/IMO-0000000`, BEARER);
    expect(missing.status).toBe(404);
    // responses.404 examples.notFound
    expect(JSON.parse(missing.text)).toEqual({ error: 'not_found', message: 'Ship with IMO number IMO-0000000 not found' });
  });

  it('POST /voyages answers 201 "created" with the request body echoed into the templates', async () => {
    const body = {
      shipImo: 'IMO-9456781', departurePort: 'Rotterdam', arrivalPort: 'Lagos',
      departureDate: '2026-06-01T00:00:00Z', arrivalDate: '2026-06-20T00:00:00Z', crewIds: ['CREW-002'], cargoIds: [],
    };
    const r = await get(`${up.registry.url}/voyages`, { ...BEARER, 'content-type': 'application/json' }, { method: 'POST', body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    // responses.201 examples.created: scalars templated from request.body, arrays fixed
    expect(JSON.parse(r.text)).toEqual({
      voyageId: 'VOY-2026-042', shipImo: 'IMO-9456781', departurePort: 'Rotterdam', arrivalPort: 'Lagos',
      departureDate: '2026-06-01T00:00:00Z', arrivalDate: '2026-06-20T00:00:00Z',
      crewIds: ['CREW-001', 'CREW-003'], cargoIds: ['CARGO-2024-0451'], status: 'planned',
    });
    expect(JSON.parse(up.registry.requests[0]!.body)).toEqual(body);
  });

  it('GET /voyages/{id}, /crew and /cargo answer their examples', async () => {
    expect(JSON.parse((await get(`${up.registry.url}/voyages/VOY-2026-042`, BEARER)).text)).toMatchObject({
      shipImo: 'IMO-9321483', crewIds: ['CREW-001', 'CREW-003'], cargoIds: ['CARGO-2024-0451'], status: 'planned',
    });
    expect((await get(`${up.registry.url}/voyages/VOY-0000-000`, BEARER)).status).toBe(404);
    const crew = JSON.parse((await get(`${up.registry.url}/crew`, BEARER)).text);
    expect(crew.map((c: any) => `${c.crewId} ${c.fullName} ${c.role}`)).toEqual([
      'CREW-001 Erik Lindström captain', 'CREW-002 Maria Santos first_officer', 'CREW-003 Aiko Tanaka cook', 'CREW-004 Hans Mueller engineer',
    ]);
    const cargo = JSON.parse((await get(`${up.registry.url}/cargo`, BEARER)).text);
    expect(cargo[0]).toEqual({ cargoId: 'CARGO-2024-0451', type: 'container', description: 'Electronics components', weight: 12.5, hazardous: false });
    expect(cargo).toHaveLength(3);
  });

  it('answers 401 without a bearer token, 404 on an unknown path, 405 on a wrong method; all recorded', async () => {
    expect((await get(`${up.registry.url}/ships`)).status).toBe(401);
    expect((await get(`${up.registry.url}/ships`, { authorization: 'Basic eDp5' })).status).toBe(401);
    expect((await get(`${up.registry.url}/nowhere`, BEARER)).status).toBe(404);
    expect((await get(`${up.registry.url}/crew`, BEARER, { method: 'DELETE' })).status).toBe(405);
    expect(up.registry.requests.map((r) => r.status)).toEqual([401, 401, 404, 405]);
    expect(up.registry.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('records method, url, headers and body', async () => {
    await get(`${up.registry.url}/ships?status=active`, { ...BEARER, 'registry-version': '1.0.0-alpha2' });
    const rec = up.registry.calls('list-ships')[0]!;
    expect(rec.method).toBe('GET');
    expect(rec.url).toBe('/ships?status=active');
    expect(rec.path).toBe('/ships');
    expect(rec.query.get('status')).toBe('active');
    expect(rec.headers.authorization).toBe('Bearer dummy-token');
    expect(rec.headers['registry-version']).toBe('1.0.0-alpha2');
    expect(rec.body).toBe('');
  });
});

describe('legacy dockyard mock (XML, X-Dock-Key)', () => {
  it('GET /vessels answers the allVessels XML; ?status=active one <vessel>', async () => {
    const all = await get(`${up.legacy.url}/vessels`, DOCK);
    expect(all.status).toBe(200);
    expect(all.type).toMatch(/^application\/xml/);
    expect(all.text.startsWith('<vessels>')).toBe(true);
    expect(all.text.match(/<vessel>/g)).toHaveLength(2);
    expect(all.text).toContain('<vesselName>Iron Maiden</vesselName>');

    const active = await get(`${up.legacy.url}/vessels?status=active`, DOCK);
    expect(active.text.match(/<vessel>/g)).toHaveLength(1);
    expect(active.text).toContain('<vesselCode>LEGACY-4012</vesselCode>');
    const laidUp = await get(`${up.legacy.url}/vessels?status=laid_up`, DOCK);
    expect(laidUp.text).toContain('<vesselCode>LEGACY-2087</vesselCode>');
    expect(laidUp.text).not.toContain('LEGACY-4012');
  });

  it('GET /vessels/{code} and /personnel; unknown code gets the XML 404', async () => {
    const one = await get(`${up.legacy.url}/vessels/LEGACY-4012`, DOCK);
    expect(one.status).toBe(200);
    expect(one.text).toContain('<homePort>Liverpool</homePort>');
    const none = await get(`${up.legacy.url}/vessels/LEGACY-0000`, DOCK);
    expect(none.status).toBe(404);
    expect(none.type).toMatch(/^application\/xml/);
    expect(none.text).toContain('<code>not_found</code>');
    const people = await get(`${up.legacy.url}/personnel`, DOCK);
    expect(people.text).toContain('<name>Mei-Lin Chow</name>');
  });

  it('answers 401 without X-Dock-Key (a bearer token is not enough)', async () => {
    expect((await get(`${up.legacy.url}/vessels`)).status).toBe(401);
    const r = await get(`${up.legacy.url}/vessels`, BEARER);
    expect(r.status).toBe(401);
    expect(r.text).toContain('X-Dock-Key');
  });
});

describe('requireAuth = false (the registry public tier, tutorial step 2)', () => {
  it('answers without a token, and enforces again once switched back', async () => {
    up.registry.requireAuth = false;
    try {
      expect((await get(`${up.registry.url}/ships/IMO-9321483`)).status).toBe(200);
    } finally {
      up.registry.requireAuth = true;
    }
    expect((await get(`${up.registry.url}/ships/IMO-9321483`)).status).toBe(401);
  });
});
