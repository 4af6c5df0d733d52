// SPDX-License-Identifier: GPL-2.0
/*
 * ipipe: the firmware's event queue.  The MSI-X handler only schedules
 * work; the work drains the ring and multicasts each event on the netlink
 * "events" group, which may sleep.
 */
#include <linux/interrupt.h>
#include <linux/workqueue.h>

#include "ipipe.h"

static void ipipe_event_work(struct work_struct *work)
{
	struct ipipe_dev *ipd = container_of(work, struct ipipe_dev, event_work);
	u32 mask = ipd->ev_entries - 1;
	u32 prod;

	for (;;) {
		/* pairs with the firmware's release of the events it wrote */
		prod = smp_load_acquire(&ipd->ev_hdr->producer);
		if (prod == ipd->ev_cons)
			break;
		if (prod - ipd->ev_cons > ipd->ev_entries) {
			dev_err_ratelimited(&ipd->pdev->dev,
					    "event producer %u impossible (consumer %u)\n",
					    prod, ipd->ev_cons);
			break;
		}
		while (ipd->ev_cons != prod) {
			struct ipipe_event ev;

			memcpy(&ev, &ipd->ev[ipd->ev_cons & mask], sizeof(ev));
			ipd->ev_cons++;
			atomic64_inc(&ipd->events);
			if (ev.type == IPIPE_EV_NONE || ev.type >= IPIPE_EV_LAST)
				continue;
			if (ev.type == IPIPE_EV_FW_ERROR)
				dev_warn_ratelimited(&ipd->pdev->dev,
						     "firmware error %llu\n", ev.arg0);
			ipipe_genl_notify_event(ipd, &ev);
		}
		/* the events are copied out before the slots are handed back */
		smp_store_release(&ipd->ev_hdr->consumer, ipd->ev_cons);
	}
}

irqreturn_t ipipe_event_irq(int irq, void *data)
{
	struct ipipe_dev *ipd = data;

	atomic64_inc(&ipd->irqs[IPIPE_VEC_EVENT]);
	schedule_work(&ipd->event_work);
	return IRQ_HANDLED;
}

/**
 * ipipe_events_init - find the event queue the firmware advertises
 * @ipd: the device
 *
 * Return: 0, or -EIO if the header describes a queue outside BAR2.
 */
int ipipe_events_init(struct ipipe_dev *ipd)
{
	u32 entries = READ_ONCE(ipd->hdr->eventq_entries);
	u32 off = READ_ONCE(ipd->hdr->eventq_off);

	if (!is_power_of_2(entries) || entries > IPIPE_EVENTQ_MAX_ENTRIES ||
	    !IS_ALIGNED(off, 64) ||
	    (u64)off + IPIPE_RING_DESC_OFF + entries * sizeof(struct ipipe_event) > ipd->mem_size)
		return dev_err_probe(&ipd->pdev->dev, -EIO,
				     "event queue invalid (%u entries at %#x)\n", entries, off);
	ipd->ev_entries = entries;
	ipd->ev_hdr = ipd->mem + off;
	ipd->ev = ipd->mem + off + IPIPE_RING_DESC_OFF;
	ipd->ev_cons = READ_ONCE(ipd->ev_hdr->consumer);
	INIT_WORK(&ipd->event_work, ipipe_event_work);
	return 0;
}

/* After the event IRQ is freed: nothing can queue the work again. */
void ipipe_events_exit(struct ipipe_dev *ipd)
{
	cancel_work_sync(&ipd->event_work);
}
