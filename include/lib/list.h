/*
 * list.h - intrusive, circular, doubly-linked lists.
 *
 * A list is a struct list_node head; items embed a struct list_node and are
 * found from it with list_entry()/container_of.  An empty list, and a node
 * that is on no list, point at themselves, so list_del() of an unlinked (but
 * initialized) node is harmless.
 *
 * Argument order: the list head comes first, then the node or list being
 * added: list_add_tail(&queue, &item->link) (note: the reverse of Linux's
 * list_add_tail(new, head)).
 * No locking: the owner of the list serializes access.  Any context;
 * nothing here fails.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <lib/compiler.h>

struct list_node {
	struct list_node *next, *prev;
};

/* Static initializer: struct list_node q = LIST_INIT(q); */
#define LIST_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_node *n)
{
	n->next = n;
	n->prev = n;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* Is @n on some list?  (Only meaningful for initialized nodes.) */
static inline bool list_linked(const struct list_node *n)
{
	return n->next != n;
}

static inline void list_insert_between(struct list_node *n,
				       struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* list_add_head() - put @n first on the list @head. */
static inline void list_add_head(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head, head->next);
}

/*
 * list_add_tail() - put @n last on the list @head.  With @head a node of a
 * list rather than its head, this inserts @n just before that node.
 */
static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head->prev, head);
}

/* list_del() - unlink @n from its list and re-initialize it. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/*
 * list_splice_tail() - move every node of @list to the end of @head, in
 * order.  @list is left empty.
 */
static inline void list_splice_tail(struct list_node *head,
				    struct list_node *list)
{
	struct list_node *first = list->next, *last = list->prev;

	if (list_empty(list))
		return;
	first->prev = head->prev;
	head->prev->next = first;
	last->next = head;
	head->prev = last;
	list_init(list);
}

/* list_count() - number of nodes on @head (walks the list). */
static inline size_t list_count(const struct list_node *head)
{
	const struct list_node *n;
	size_t count = 0;

	for (n = head->next; n != head; n = n->next)
		count++;
	return count;
}

#define list_entry(node, type, member) container_of(node, type, member)

/* First/last item; the list must not be empty. */
#define list_first_entry(head, type, member) \
	list_entry((head)->next, type, member)
#define list_last_entry(head, type, member) \
	list_entry((head)->prev, type, member)
#define list_first_entry_or_null(head, type, member) \
	(list_empty(head) ? NULL : list_first_entry(head, type, member))

/* Iterate over nodes; @pos must not be removed during the walk. */
#define list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define list_next_entry_(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)

/* Iterate over items; @pos must not be removed during the walk. */
#define list_for_each_entry(pos, head, member)                           \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member); \
	     &(pos)->member != (head);                                   \
	     (pos) = list_next_entry_(pos, member))

/* Iterate over items; @pos may be removed (list_del) inside the loop. */
#define list_for_each_entry_safe(pos, tmp, head, member)                 \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member), \
	     (tmp) = list_next_entry_(pos, member);                      \
	     &(pos)->member != (head);                                   \
	     (pos) = (tmp), (tmp) = list_next_entry_(tmp, member))

#endif /* LIB_LIST_H */
