/** The orders service's activities: they run in the worker, inside this process. */

/** Confirms an order (a real service would charge a card, reserve stock, send an e-mail…). */
export async function confirmOrder(orderId: string): Promise<string> {
  return `order ${orderId} confirmed`;
}
