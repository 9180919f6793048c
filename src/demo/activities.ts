/** The demo's activities: they run in the supervised worker, inside the demo's process. */

/** Reserves the order's stock (a real service would call its inventory). */
export async function reserveStock(orderId: string): Promise<string> {
  return `stock reserved for order ${orderId}`;
}

/** Confirms the order (a real service would charge a card, send an e-mail…). */
export async function confirmOrder(orderId: string): Promise<string> {
  return `order ${orderId} confirmed`;
}
