import { ErrorCode } from '../error-codes.js';
import { DomainError } from '../errors.js';
import type { OrderStatus } from './order.js';

export class OrderNotFoundError extends DomainError {
  override readonly name = 'OrderNotFoundError';
  readonly code = ErrorCode.ORDER_NOT_FOUND;
  constructor(readonly id: string) {
    super(`no order with id ${JSON.stringify(id)}`);
  }
}

/** The order exists, but its status may not move to the one asked for; nothing changed. */
export class InvalidStatusTransitionError extends DomainError {
  override readonly name = 'InvalidStatusTransitionError';
  readonly code = ErrorCode.INVALID_STATUS_TRANSITION;
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(`an order cannot move from ${from} to ${to}`);
  }
}
