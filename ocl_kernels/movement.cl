/* movement.cl - (to be written) */
